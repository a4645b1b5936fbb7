package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes NAME.cpu.pprof and, when stopped, NAME.block.pprof
// and NAME.mutex.pprof into dir.
func startProfiles(dir, name string) (stop func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cpu, err := os.Create(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, err
	}
	runtime.SetBlockProfileRate(int(1e6)) // one sample per millisecond blocked
	runtime.SetMutexProfileFraction(10)
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		for _, p := range []string{"block", "mutex"} {
			if f, err := os.Create(filepath.Join(dir, name+"."+p+".pprof")); err == nil {
				pprof.Lookup(p).WriteTo(f, 0)
				f.Close()
			}
		}
	}, nil
}
