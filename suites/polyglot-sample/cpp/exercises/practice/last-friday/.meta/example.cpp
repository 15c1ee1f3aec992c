#include "last_friday.h"

namespace last_friday {

boost::gregorian::date of(int year, int month) {
    using namespace boost::gregorian;
    last_day_of_the_week_in_month last(Friday, month);
    return last.get_date(year);
}

}  // namespace last_friday
