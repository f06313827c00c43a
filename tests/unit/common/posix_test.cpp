// UniqueFd ownership, ErrnoText and WriteAll.
#include "common/posix.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace beacon {
namespace {

// Whether `fd` is an open descriptor of this process.
bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int OpenDevNull() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(UniqueFdTest, ClosesWhenDestroyed) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(fd.get(), raw);
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueFdTest, EmptyOwnsNothing) {
  UniqueFd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(fd.get(), -1);
  EXPECT_EQ(fd.release(), -1);
  EXPECT_EQ(fd.Close(), 0);
  UniqueFd failed(-1);  // what a failed open() gives
  EXPECT_FALSE(failed.valid());
}

TEST(UniqueFdTest, ReleaseGivesUpOwnership) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  {
    UniqueFd fd(raw);
    EXPECT_EQ(fd.release(), raw);
    EXPECT_FALSE(fd.valid());
  }
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
}

TEST(UniqueFdTest, ResetClosesTheOldDescriptor) {
  int first = OpenDevNull();
  int second = OpenDevNull();
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  UniqueFd fd(first);
  fd.reset(second);
  EXPECT_FALSE(IsOpen(first));
  EXPECT_EQ(fd.get(), second);
  fd.reset(second);  // the same descriptor again: kept open
  EXPECT_TRUE(IsOpen(second));
  fd.reset();
  EXPECT_FALSE(IsOpen(second));
  EXPECT_FALSE(fd.valid());
}

TEST(UniqueFdTest, MovesTransferOwnership) {
  int a = OpenDevNull();
  int b = OpenDevNull();
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  UniqueFd first(a);
  UniqueFd moved(std::move(first));
  EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): moved-from state is defined
  EXPECT_EQ(moved.get(), a);
  UniqueFd other(b);
  other = std::move(moved);
  EXPECT_FALSE(IsOpen(b));
  EXPECT_EQ(other.get(), a);
  EXPECT_TRUE(IsOpen(a));
}

TEST(UniqueFdTest, CloseReportsTheResultOfClose) {
  int raw = OpenDevNull();
  ASSERT_GE(raw, 0);
  UniqueFd fd(raw);
  EXPECT_EQ(fd.Close(), 0);
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(IsOpen(raw));
  // A descriptor closed behind its owner's back: close() fails with EBADF and Close says so.
  int again = OpenDevNull();
  ASSERT_GE(again, 0);
  UniqueFd stale(again);
  ::close(again);
  errno = 0;
  EXPECT_EQ(stale.Close(), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(ErrnoTextTest, GivesStrerrorsText) {
  EXPECT_EQ(ErrnoText(ENOENT), std::strerror(ENOENT));
  EXPECT_EQ(ErrnoText(EACCES), "Permission denied");
  EXPECT_EQ(ErrnoText(0), std::strerror(0));
  EXPECT_FALSE(ErrnoText(123456).empty());  // unknown numbers still say something
}

TEST(WriteAllTest, WritesEverythingThroughShortWrites) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  // More than a pipe's buffer takes several writes; a reader drains it meanwhile.
  const std::string data(256 * 1024, 'x');
  std::string received;
  std::thread reader([&] {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(read_end.get(), buffer, sizeof(buffer))) > 0) received.append(buffer, n);
  });
  const Status written = WriteAll(write_end.get(), data, "write pipe");
  write_end.reset();
  reader.join();
  EXPECT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(received, data);
  EXPECT_TRUE(WriteAll(-1, "", "nothing to write").ok());
}

TEST(WriteAllTest, FailureNamesTheContextAndTheErrno) {
  UniqueFd read_only(OpenDevNull());
  ASSERT_TRUE(read_only.valid());
  const Status status = WriteAll(read_only.get(), "data", "write /dev/null");
  EXPECT_EQ(status.code(), StatusCode::kIoError) << status.ToString();
  EXPECT_EQ(status.message(), "write /dev/null: " + ErrnoText(EBADF));
}

}  // namespace
}  // namespace beacon
