// Package english spells counts in English for messages: "1 entry", "2
// entries", "1 user gains", "3 users gain".
package english

import "strconv"

// Count is n followed by the noun's singular or plural: Count(1, "entry",
// "entries") is "1 entry", Count(0, …) "0 entries".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Agree picks the form of a word that agrees with a count of n: Agree(1,
// "gains", "gain") is "gains".
func Agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
