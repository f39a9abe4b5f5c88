package access

import (
	"regexp"
	"strconv"
	"time"
)

// DefaultTokenWindow is Okta's default idle window of an API token
// (tokenWindow P30D), assumed where Okta does not say.
const DefaultTokenWindow = "P30D"

// isoDuration matches the ISO 8601 durations Okta uses for tokenWindow
// (the spec's TimeDuration: years, months, weeks, days, then a time part).
var isoDuration = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// windowEnd is from plus the ISO 8601 duration window (years and months
// on the calendar, as ISO 8601 means them); ok is false for anything that
// is not such a duration, or an empty one.
func windowEnd(from time.Time, window string) (end time.Time, ok bool) {
	m := isoDuration.FindStringSubmatch(window)
	if m == nil || window == "P" || window == "PT" {
		return time.Time{}, false
	}
	n := make([]int, 8)
	for i := 1; i < len(m); i++ {
		if m[i] != "" {
			v, err := strconv.Atoi(m[i])
			if err != nil {
				return time.Time{}, false
			}
			n[i] = v
		}
	}
	end = from.AddDate(n[1], n[2], 7*n[3]+n[4]).
		Add(time.Duration(n[5])*time.Hour + time.Duration(n[6])*time.Minute + time.Duration(n[7])*time.Second)
	return end, end.After(from)
}

// windowLength is the length of window starting at now, or Okta's default
// 30 days when window is empty or not an ISO 8601 duration.
func windowLength(now time.Time, window string) time.Duration {
	if end, ok := windowEnd(now, window); ok {
		return end.Sub(now)
	}
	return 30 * day
}

// windowText says a window in words for messages: "30 days", "5 minutes".
func windowText(d time.Duration) string {
	switch {
	case d >= day && d%day == 0:
		return daysText(int(d / day))
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	}
	return d.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// thresholds are how long before expiry a token with idle window w warns
// and turns critical: 7 and 2 days for Okta's default 30-day window, the
// same share of a shorter window (a 7-day token used two days ago is
// fine), never more than 7 and 2 days for a longer one.
func thresholds(w time.Duration) (warn, critical time.Duration) {
	return min(WarnBefore, w*7/30), min(CriticalBefore, w*2/30)
}
