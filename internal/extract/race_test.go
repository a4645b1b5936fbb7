//go:build race

package extract

// raceDetector scales the hostile inputs down: the race detector makes
// each of them an order of magnitude slower.
const raceDetector = true
