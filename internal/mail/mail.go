// Package mail sends SpiderGo's account mail (verification and reset
// codes) over SMTP, or writes it to the log when no SMTP server is
// configured, so that a self-hoster without one can still read the codes.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Message is one plain-text mail to one recipient.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends mail.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// New returns an SMTP mailer for smtpURL (smtp://user:pass@host:port, or
// smtps:// for TLS from the first byte), or a Log mailer when smtpURL is
// empty. from is the sender, "Name <address>" or a bare address.
func New(smtpURL, from string, log *slog.Logger) (Mailer, error) {
	if smtpURL == "" {
		return &Log{Logger: log}, nil
	}
	return NewSMTP(smtpURL, from)
}

// Log writes mail to the log instead of sending it.
type Log struct{ Logger *slog.Logger }

// Send implements Mailer.
func (l *Log) Send(ctx context.Context, m Message) error {
	l.Logger.InfoContext(ctx, "mail not sent: SPIDERGO_SMTP_URL is not set, so here it is", "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}

// SMTP sends mail through one SMTP server. It upgrades the connection with
// STARTTLS whenever the server offers it, and net/smtp refuses to send a
// password over a connection that is neither encrypted nor local.
type SMTP struct {
	host     string // for TLS verification and auth
	addr     string // host:port
	implicit bool   // smtps: TLS from the start
	user     string
	pass     string
	from     *netmail.Address
	// TLSConfig, when set, replaces the default TLS settings (tests trust
	// their own certificate with it).
	TLSConfig *tls.Config
	// Timeout bounds one whole delivery.
	Timeout time.Duration
}

// NewSMTP parses smtpURL; see New.
func NewSMTP(smtpURL, from string) (*SMTP, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("mail: SMTP URL must look like smtp://user:pass@host:port")
	}
	sender, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", from, err)
	}
	m := &SMTP{host: u.Hostname(), implicit: u.Scheme == "smtps", from: sender, Timeout: 30 * time.Second}
	port := u.Port()
	if port == "" {
		port = "587"
		if m.implicit {
			port = "465"
		}
	}
	m.addr = net.JoinHostPort(m.host, port)
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	return m, nil
}

func (m *SMTP) tlsConfig() *tls.Config {
	if m.TLSConfig != nil {
		return m.TLSConfig
	}
	return &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
}

// Send implements Mailer.
func (m *SMTP) Send(ctx context.Context, msg Message) error {
	body, err := m.compose(msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("mail: connect: %w", err)
	}
	// net/smtp has no context support: a deadline on the connection stands
	// in for it, and closing on cancellation ends a stuck exchange.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if m.implicit {
		conn = tls.Client(conn, m.tlsConfig())
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: greeting: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !m.implicit {
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if m.user != "" {
		if err := c.Auth(smtp.PlainAuth("", m.user, m.pass, m.host)); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(msg.To); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	return c.Quit()
}

// compose renders msg as an RFC 5322 message with a quoted-printable UTF-8
// body. Header values come from our own code, but a line break in one would
// let it add headers, so they are refused outright.
func (m *SMTP) compose(msg Message) ([]byte, error) {
	if strings.ContainsAny(msg.To, "\r\n") || strings.ContainsAny(msg.Subject, "\r\n") {
		return nil, errors.New("mail: line break in a header")
	}
	to, err := netmail.ParseAddress(msg.To)
	if err != nil {
		return nil, fmt.Errorf("mail: recipient: %w", err)
	}
	var id [12]byte
	rand.Read(id[:])
	_, domain, _ := strings.Cut(m.from.Address, "@")
	var b bytes.Buffer
	for _, h := range [][2]string{
		{"From", m.from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", msg.Subject)},
		{"Date", time.Now().UTC().Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id[:]) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	} {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(msg.Body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
