// UniqueFd ownership and ErrnoText.
#include "common/posix.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

}  // namespace
}  // namespace beacon
