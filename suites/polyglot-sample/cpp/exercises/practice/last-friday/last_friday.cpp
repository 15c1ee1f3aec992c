#include "last_friday.h"

namespace last_friday {

boost::gregorian::date of(int year, int month) {
    return boost::gregorian::date(year, month, 1);
}

}  // namespace last_friday
