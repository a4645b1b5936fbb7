package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a minimal SMTP server: enough of RFC 5321 for net/smtp to
// deliver one message, with optional STARTTLS and AUTH PLAIN.
type fakeSMTP struct {
	ln       net.Listener
	tls      *tls.Config // nil: no STARTTLS offered
	mu       sync.Mutex
	log      []string // commands received, in order
	data     string
	authUser string
	upgraded bool
}

func startFakeSMTP(t *testing.T, tlsCfg *tls.Config) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, tls: tlsCfg}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 fake ESMTP")
	secure := false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.log = append(f.log, strings.SplitN(line, " ", 2)[0])
		f.mu.Unlock()
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO":
			tp.PrintfLine("250-fake")
			if f.tls != nil && !secure {
				tp.PrintfLine("250-STARTTLS")
			}
			tp.PrintfLine("250 AUTH PLAIN")
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, f.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, secure = tc, true
			tp = textproto.NewConn(tc)
			f.mu.Lock()
			f.upgraded = true
			f.mu.Unlock()
		case "AUTH":
			parts := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			fields := strings.Split(string(raw), "\x00")
			f.mu.Lock()
			f.authUser = fields[1] + ":" + fields[2]
			f.mu.Unlock()
			tp.PrintfLine("235 ok")
		case "MAIL", "RCPT":
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			b, _ := io.ReadAll(tp.DotReader())
			f.mu.Lock()
			f.data = string(b)
			f.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 unknown")
		}
	}
}

// testCert returns a server TLS config for 127.0.0.1 and a client config
// trusting it, borrowed from an httptest TLS server.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	hs := httptest.NewTLSServer(nil)
	t.Cleanup(hs.Close)
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	return &tls.Config{Certificates: hs.TLS.Certificates}, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func TestSMTPSendsWithSTARTTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	f := startFakeSMTP(t, serverTLS)
	m, err := NewSMTP("smtp://ada:s3cret@"+f.ln.Addr().String(), "SpiderGo <no-reply@spidergo.test>")
	if err != nil {
		t.Fatal(err)
	}
	m.TLSConfig = clientTLS
	body := "Your code is 123456.\nIt expires in 10 minutes. Ünïcode survives.\n"
	if err := m.Send(context.Background(), Message{To: "bob@example.com", Subject: "Your SpiderGo code ✓", Body: body}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.upgraded {
		t.Error("connection was not upgraded with STARTTLS")
	}
	if f.authUser != "ada:s3cret" {
		t.Errorf("AUTH PLAIN credentials = %q", f.authUser)
	}
	head, enc, _ := strings.Cut(f.data, "\n\n") // DotReader turns CRLF into LF
	for _, want := range []string{"From: \"SpiderGo\" <no-reply@spidergo.test>", "To: <bob@example.com>", "Subject: =?utf-8?q?", "Content-Type: text/plain; charset=utf-8", "Message-ID: <"} {
		if !strings.Contains(head, want) {
			t.Errorf("headers lack %q:\n%s", want, head)
		}
	}
	dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(enc)))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(dec), "\r\n", "\n"); got != body {
		t.Errorf("body = %q, want %q", got, body)
	}
}

func TestSMTPRefusesPasswordInTheClear(t *testing.T) {
	f := startFakeSMTP(t, nil) // no STARTTLS offered
	// A name other than localhost makes net/smtp treat the link as remote.
	_, port, _ := net.SplitHostPort(f.ln.Addr().String())
	m, err := NewSMTP("smtp://ada:s3cret@localhost.:"+port, "no-reply@spidergo.test")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = f.ln.Addr().String()
	if err := m.Send(context.Background(), Message{To: "bob@example.com", Subject: "x", Body: "x"}); err == nil {
		t.Fatal("sent a password over an unencrypted remote connection")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.authUser != "" {
		t.Errorf("server received credentials %q", f.authUser)
	}
}

func TestSMTPRejectsHeaderInjection(t *testing.T) {
	m, err := NewSMTP("smtp://127.0.0.1:1", "no-reply@spidergo.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []Message{
		{To: "bob@example.com\r\nBcc: eve@example.com", Subject: "x"},
		{To: "bob@example.com", Subject: "x\nBcc: eve@example.com"},
	} {
		if _, err := m.compose(msg); err == nil {
			t.Errorf("compose(%q, %q) accepted a line break", msg.To, msg.Subject)
		}
	}
}

func TestSMTPHonoursContext(t *testing.T) {
	// A server that accepts and never speaks.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m, _ := NewSMTP("smtp://"+ln.Addr().String(), "no-reply@spidergo.test")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Send(ctx, Message{To: "bob@example.com", Subject: "x", Body: "x"}) }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Send to a silent server succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send ignored its context")
	}
}

func TestNew(t *testing.T) {
	var buf strings.Builder
	m, err := New("", "no-reply@spidergo.test", slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), Message{To: "bob@example.com", Subject: "Code", Body: "Your code is 654321."}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "654321") || !strings.Contains(buf.String(), "bob@example.com") {
		t.Errorf("log mailer wrote %q", buf.String())
	}
	for _, bad := range []string{"http://x", "smtp://", "::"} {
		if _, err := New(bad, "no-reply@spidergo.test", nil); err == nil {
			t.Errorf("New(%q) accepted a bad URL", bad)
		}
	}
	if _, err := New("smtp://mail.example.com", "not an address", nil); err == nil {
		t.Error("New accepted a bad sender")
	}
	s, _ := NewSMTP("smtps://mail.example.com", "a@b.example")
	if s.addr != "mail.example.com:465" || !s.implicit {
		t.Errorf("smtps default = %s implicit %v", s.addr, s.implicit)
	}
}
