// Tests for beaconctl's pure text formatting: widths, tables, bytes, durations, metric values.
#include "ctl/format.h"

#include <gtest/gtest.h>

namespace beacon::ctl {
namespace {

TEST(DisplayWidthTest, CountsTerminalColumns) {
  EXPECT_EQ(DisplayWidth("web-01"), 6u);
  EXPECT_EQ(DisplayWidth("数据库"), 6u);        // CJK is double width
  EXPECT_EQ(DisplayWidth("cafe\xCC\x81"), 4u);  // e + combining acute: one column
  EXPECT_EQ(DisplayWidth("\xFF"
                         "ab"),
            3u);  // an invalid byte still takes a column
  EXPECT_EQ(DisplayWidth(""), 0u);
}

TEST(TruncateToWidthTest, CutsWithEllipsisAndNeverSplitsACharacter) {
  EXPECT_EQ(TruncateToWidth("short", 10), "short");
  EXPECT_EQ(TruncateToWidth("abcdefghij", 5), "abcd…");
  // "数据库告警" is 10 columns; 5 columns leave room for two wide characters + "…".
  EXPECT_EQ(TruncateToWidth("数据库告警", 5), "数据…");
  EXPECT_EQ(DisplayWidth(TruncateToWidth("数据库告警", 5)), 5u);
}

TEST(SanitizeCellTest, RemovesLineBreaksAndEscapeSequences) {
  EXPECT_EQ(SanitizeCell("line1\nline2\tx"), "line1 line2 x");
  EXPECT_EQ(SanitizeCell("\x1b[31mred"), "?[31mred");
  EXPECT_EQ(SanitizeCell("磁盘 full"), "磁盘 full");
}

TEST(TableTest, AlignsColumnsWithoutTrailingSpaces) {
  Table table({"NAME", "STATE", "EVENTS"});
  table.AddRow({"web-01", "up", "12"});
  table.AddRow({"db", "stale", ""});
  EXPECT_EQ(table.Render(),
            "NAME    STATE  EVENTS\n"
            "web-01  up     12\n"
            "db      stale\n");
}

TEST(TableTest, AlignsWideCharactersByDisplayWidth) {
  Table table({"HOST", "MESSAGE"});
  table.AddRow({"数据库", "a"});
  table.AddRow({"web", "b"});
  EXPECT_EQ(table.Render(),
            "HOST    MESSAGE\n"
            "数据库  a\n"
            "web     b\n");
}

TEST(TableTest, TruncatesCappedColumnsAndSanitizesCells) {
  Table table({"A", "B"});
  table.SetMaxWidth(0, 4);
  table.AddRow({"abcdefgh", "x\ny"});
  EXPECT_EQ(table.Render(),
            "A     B\n"
            "abc…  x y\n");
}

TEST(HumanBytesTest, UsesBinaryUnits) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(2147483648.0), "2.0 GiB");
  EXPECT_EQ(HumanBytes(13207024435.0), "12.3 GiB");
  EXPECT_EQ(HumanBytes(-1048576), "-1.0 MiB");
}

TEST(AgoTest, SaysJustNowForTheFutureAndUnderASecond) {
  EXPECT_EQ(Ago(192'000), "3m12s ago");
  EXPECT_EQ(Ago(500), "just now");
  EXPECT_EQ(Ago(-5000), "just now");
}

TEST(FormatNumberTest, IntegersPlainOthersShort) {
  EXPECT_EQ(FormatNumber(12), "12");
  EXPECT_EQ(FormatNumber(12.5), "12.5");
  EXPECT_EQ(FormatNumber(12.345), "12.35");
  EXPECT_EQ(FormatNumber(0.0123), "0.0123");
  EXPECT_EQ(FormatNumber(-3), "-3");
  EXPECT_EQ(FormatNumber(1234567.891), "1234567.89");
}

TEST(FormatMetricValueTest, UsesDeclaredOrInferredUnits) {
  EXPECT_EQ(FormatMetricValue("system.mem.used_bytes", 2147483648.0), "2.0 GiB");
  EXPECT_EQ(FormatMetricValue("system.mem.total", 8589934592.0), "8.0 GiB");
  EXPECT_EQ(FormatMetricValue("system.fs.free", 1536, ""), "1.5 KiB");
  EXPECT_EQ(FormatMetricValue("system.fs.inodes.used", 1536), "1536");  // a count, not bytes
  EXPECT_EQ(FormatMetricValue("system.cpu.util", 12.5), "12.5 %");
  EXPECT_EQ(FormatMetricValue("system.fs.used_pct", 80), "80 %");
  EXPECT_EQ(FormatMetricValue("system.uptime", 3 * 86400 + 7200), "3d2h");
  EXPECT_EQ(FormatMetricValue("system.load.1", 0.75), "0.75");
  EXPECT_EQ(FormatMetricValue("system.proc.count", 212), "212");
  // A unit the collector declares wins over the name.
  EXPECT_EQ(FormatMetricValue("x.y", 1024, "bytes"), "1.0 KiB");
  EXPECT_EQ(FormatMetricValue("x.y", 3, "requests/s"), "3 requests/s");
}

}  // namespace
}  // namespace beacon::ctl
