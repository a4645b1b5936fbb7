package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"
)

// conn is one kept-alive HTTP/1.1 connection. It writes each request
// itself and reads the answer with http.ReadResponse: no Transport, so no
// goroutines or channel handoffs of the client's own between the schedule
// and the socket.
type conn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
}

// request is a GET of path with the Authorization header auth, if any.
func request(addr, path, auth string) []byte {
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: gatebench\r\n"
	if auth != "" {
		req += "Authorization: " + auth + "\r\n"
	}
	return []byte(req + "\r\n")
}

// get sends req, connecting first if need be, and reads the whole answer,
// which must be a 200.
func (c *conn) get(req []byte) error {
	if c.c == nil {
		nc, err := net.Dial("tcp", c.addr)
		if err != nil {
			return err
		}
		c.c, c.r = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	if _, err := c.c.Write(req); err != nil {
		return err
	}
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	if res.Close {
		return fmt.Errorf("the server closed the connection")
	}
	return nil
}

// close closes the connection; the next get opens a new one.
func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
		c.c, c.r = nil, nil
	}
}

// cell is what one open-loop run measured.
type cell struct {
	Rate      float64         // requests a second achieved
	Lat       []time.Duration // from the time each request was due, sorted
	Server    []time.Duration // the server's share, sorted
	Lag       []time.Duration // how late the client sent, sorted
	ClientCPU time.Duration   // this process's CPU time during the run
	Elapsed   time.Duration   // from the first due time to the last answer
}

// openLoop sends n GETs of path to addr over conns kept-alive connections
// at rate requests a second in all: request k is due at start + k/rate
// and goes on connection k mod conns. Each latency runs from the time the
// request was due, so a request held up behind a slow one on its
// connection counts its wait. The server's share runs from when the
// client actually sent, or from the due time when the connection was
// still busy with the previous request then (a sleeping client wakes up to
// a millisecond late, which is no fault of the server). warm requests per
// connection (at least one), all at once, go first and are not counted;
// start is called after them, just before the clock starts.
//
// The connections stay open for the next call: the server allows one
// client address 64 connections by default, and a new set opened as the
// last closes could find the old ones not yet counted out. A connection
// the server closed while idle is opened again during the warm-up.
func openLoop(cs []*conn, req []byte, rate, n, warm int, start func() error) (cell, error) {
	conns := len(cs)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
	)
	fail := func(err error) {
		mu.Lock()
		if ferr == nil {
			ferr = err
		}
		mu.Unlock()
	}
	for _, c := range cs {
		wg.Go(func() {
			for k := range max(warm, 1) {
				err := c.get(req)
				if err != nil && k == 0 {
					c.close()
					err = c.get(req)
				}
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if ferr != nil {
		return cell{}, fmt.Errorf("warm-up: %w", ferr)
	}

	if start != nil {
		if err := start(); err != nil {
			return cell{}, err
		}
	}
	interval := time.Second / time.Duration(rate)
	lat := make([][]time.Duration, conns)
	svc := make([][]time.Duration, conns)
	lag := make([][]time.Duration, conns)
	cpu0 := selfCPU()
	began := time.Now()
	for i, c := range cs {
		wg.Go(func() {
			var done time.Time // when this connection's last answer came
			for k := i; k < n; k += conns {
				due := began.Add(time.Duration(k) * interval)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				sent := time.Now()
				if err := c.get(req); err != nil {
					fail(err)
					return
				}
				end := time.Now()
				lag[i] = append(lag[i], sent.Sub(due))
				lat[i] = append(lat[i], end.Sub(due))
				from := sent
				if done.After(due) {
					from = due
				}
				svc[i] = append(svc[i], end.Sub(from))
				done = end
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if ferr != nil {
		return cell{}, ferr
	}
	r := cell{
		Rate:      float64(n) / elapsed.Seconds(),
		Lat:       slices.Concat(lat...),
		Server:    slices.Concat(svc...),
		Lag:       slices.Concat(lag...),
		ClientCPU: selfCPU() - cpu0,
		Elapsed:   elapsed,
	}
	slices.Sort(r.Lat)
	slices.Sort(r.Server)
	slices.Sort(r.Lag)
	return r, nil
}

// quantile is the q quantile of sorted durations, in milliseconds.
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]) / float64(time.Millisecond)
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
