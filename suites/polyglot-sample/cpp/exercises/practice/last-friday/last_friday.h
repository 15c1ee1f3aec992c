#pragma once

#include <boost/date_time/gregorian/gregorian.hpp>

namespace last_friday {

boost::gregorian::date of(int year, int month);

}  // namespace last_friday
