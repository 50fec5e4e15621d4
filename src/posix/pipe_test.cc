#include "posix/pipe.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace mysqlset {
namespace {

TEST(PipeTest, EndsAreCloseOnExec) {
  int fds[2];
  ASSERT_TRUE(MakePipe(fds).ok());
  Fd r(fds[0]), w(fds[1]);
  EXPECT_TRUE(fcntl(r.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(fcntl(w.get(), F_GETFD) & FD_CLOEXEC);
}

TEST(PipeTest, WriteAllWritesMoreThanThePipeHolds) {
  int fds[2];
  ASSERT_TRUE(MakePipe(fds).ok());
  Fd r(fds[0]), w(fds[1]);
  const std::string data(1 << 20, 'x');  // 16 pipe buffers' worth: short writes happen
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(r.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  });
  EXPECT_TRUE(WriteAll(w.get(), data).ok());
  w.Reset();
  reader.join();
  EXPECT_EQ(got, data);
}

TEST(PipeTest, WriteToAClosedPipeIsAnErrorOnceSigpipeIsIgnored) {
  IgnoreSigpipe();
  int fds[2];
  ASSERT_TRUE(MakePipe(fds).ok());
  Fd w(fds[1]);
  close(fds[0]);
  EXPECT_EQ(WriteAll(w.get(), "x").code(), StatusCode::kUnavailable);
}

TEST(FdTest, ClosesOnDestructionAndMoves) {
  int fds[2];
  ASSERT_TRUE(MakePipe(fds).ok());
  Fd w(fds[1]);
  {
    Fd r(fds[0]);
    Fd moved = std::move(r);
    EXPECT_FALSE(r.valid());
    EXPECT_EQ(moved.get(), fds[0]);
  }
  EXPECT_EQ(fcntl(fds[0], F_GETFD), -1);  // closed by `moved`
  EXPECT_EQ(w.Release(), fds[1]);
  EXPECT_FALSE(w.valid());
  close(fds[1]);
}

}  // namespace
}  // namespace mysqlset
