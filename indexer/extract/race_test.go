//go:build race

package extract

// raceEnabled relaxes the tests' time and memory bounds: the race detector
// slows code about tenfold and maps shadow memory that RLIMIT_AS counts.
const raceEnabled = true
