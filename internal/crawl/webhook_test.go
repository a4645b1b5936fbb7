package crawl

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spidergo/spidergo/api"
)

// posterFunc is a Poster made of a function.
type posterFunc func(ctx context.Context) (int, error)

func (f posterFunc) Post(ctx context.Context, _ string, _ http.Header, _ []byte, _ time.Duration) (int, error) {
	return f(ctx)
}

type fixedSecret string

func (s fixedSecret) WebhookSecret(context.Context, string) (string, error) { return string(s), nil }

func TestDeliveryEndsWithItsContext(t *testing.T) {
	hook := &api.Webhook{URL: "https://hooks.example/x", Events: []string{api.EventPage}}
	tests := []struct {
		name string
		post posterFunc
		// send queues events; it returns when they are queued.
		events int
	}{
		{
			// A receiver that always answers 503: retries wait out a
			// long backoff, which must end with the context.
			name:   "backoff after 503",
			post:   func(context.Context) (int, error) { return http.StatusServiceUnavailable, nil },
			events: 3,
		},
		{
			// A receiver that never answers: the request ends with the
			// context.
			name: "hanging receiver",
			post: func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return 0, ctx.Err()
			},
			events: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			post := posterFunc(func(ctx context.Context) (int, error) {
				calls.Add(1)
				return tt.post(ctx)
			})
			w := NewWebhooks(WebhooksConfig{Poster: post, Secrets: fixedSecret("s"), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Backoff: time.Minute})
			ctx, cancel := context.WithCancel(context.Background())
			d := w.Open(ctx, "u", "j", hook)
			for range tt.events {
				if err := d.Send(context.Background(), api.EventPage, map[string]int{"n": 1}); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for calls.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			cancel()
			closed := make(chan struct{})
			go func() { d.Close(); close(closed) }()
			select {
			case <-closed:
			case <-time.After(2 * time.Second):
				t.Fatal("Close still waits on the receiver after the context ended")
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d requests sent; after the context ended none should be", n)
			}
		})
	}
}

func TestDeliverySendOnFullQueue(t *testing.T) {
	release := make(chan struct{})
	post := posterFunc(func(ctx context.Context) (int, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return http.StatusNoContent, nil
	})
	w := NewWebhooks(WebhooksConfig{Poster: post, Secrets: fixedSecret("s"), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	life, stop := context.WithCancel(context.Background())
	defer stop()
	d := w.Open(life, "u", "j", &api.Webhook{URL: "https://hooks.example/x", Events: []string{api.EventPage}})
	defer func() { close(release); d.Close() }()

	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"caller's deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
		{"caller cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
	}
	// One event in flight, deliveryQueue waiting: the queue is full.
	for range deliveryQueue + 1 {
		if err := d.Send(context.Background(), api.EventPage, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- d.Send(ctx, api.EventPage, nil) }()
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) {
					t.Errorf("Send = %v, want %v", err, tt.want)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("Send blocks on a full queue past its context")
			}
		})
	}
}
