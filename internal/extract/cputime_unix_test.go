//go:build unix

package extract

import (
	"syscall"
	"time"
)

// processCPUTime is the CPU time the test process has used, user and
// system. Benchmarks report it per page as well as wall time, because wall
// time on a shared machine also counts the other programs' turns.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
