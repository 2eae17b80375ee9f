package region

import "time"

// WIB (Waktu Indonesia Barat, UTC+7) is the zone the task force works in:
// every time a person reads, on a page, in a report or a terminal, is in
// it. A fixed zone, not Asia/Jakarta from tzdata: the machine may lack
// tzdata, and WIB has had no daylight saving since 1964.
var WIB = time.FixedZone("WIB", 7*3600)

// WIBLayout is how a moment is written for people: "2006-01-02 15:04 WIB".
const WIBLayout = "2006-01-02 15:04 WIB"
