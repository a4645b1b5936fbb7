//go:build race

package crawl

// raceEnabled: the race detector slows extraction of the big test page
// about tenfold, past a scrape's deadline on a loaded machine.
const raceEnabled = true
