#include "last_friday.h"
#ifdef EXERCISM_TEST_SUITE
#include <catch2/catch.hpp>
#else
#include "test/catch.hpp"
#endif

using boost::gregorian::date;

TEST_CASE("a month ending on a Friday") { REQUIRE(date(2026, 7, 31) == last_friday::of(2026, 7)); }

#if defined(EXERCISM_RUN_ALL_TESTS)
TEST_CASE("a month ending early in the week") {
    REQUIRE(date(2026, 11, 27) == last_friday::of(2026, 11));
}

TEST_CASE("February of a leap year") { REQUIRE(date(2028, 2, 25) == last_friday::of(2028, 2)); }

TEST_CASE("December") { REQUIRE(date(2025, 12, 26) == last_friday::of(2025, 12)); }
#endif
