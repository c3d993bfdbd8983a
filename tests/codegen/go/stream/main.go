// Drives the Go SDK's EventStream (sdk/go) against a live `specway serve` started by
// test_go_stream.py. Usage: go run . <base URL>. Prints one JSON object with what it saw.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/specway/specway-go"
)

// dropFirstStream cuts the first /logs/stream response right after its first event, as a
// dropped connection does, and remembers the Last-Event-ID of every stream request.
type dropFirstStream struct {
	mu      sync.Mutex
	resumed []string
}

func (d *dropFirstStream) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/logs/stream") {
		return resp, err
	}
	d.mu.Lock()
	d.resumed = append(d.resumed, req.Header.Get("Last-Event-ID"))
	first := len(d.resumed) == 1
	d.mu.Unlock()
	if first {
		resp.Body = &cutBody{inner: resp.Body}
	}
	return resp, nil
}

type cutBody struct {
	inner io.ReadCloser
	seen  []byte
	left  []byte
	cut   bool
}

func (c *cutBody) Read(p []byte) (int, error) {
	for len(c.left) == 0 {
		if c.cut {
			return 0, errors.New("connection dropped")
		}
		buf := make([]byte, 4096)
		n, err := c.inner.Read(buf)
		c.seen = append(c.seen, buf[:n]...)
		if data := bytes.Index(c.seen, []byte("data: ")); data >= 0 {
			if end := bytes.Index(c.seen[data:], []byte("\n\n")); end >= 0 {
				c.left, c.cut = c.seen[:data+end+2], true
				break
			}
		}
		if err != nil {
			return 0, err
		}
	}
	n := copy(p, c.left)
	c.left = c.left[n:]
	return n, nil
}

func (c *cutBody) Close() error { return c.inner.Close() }

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
}

func main() {
	base := os.Args[1]
	ctx := context.Background()
	out := map[string]interface{}{}

	anonymous := specway.NewClient("", specway.WithBaseURL(base))
	email := fmt.Sprintf("sdk-go-stream-%d@example.com", time.Now().UnixNano())
	registered, err := anonymous.Auth.Register(ctx, specway.RegisterRequest{Email: email, Password: "correct-horse-battery-staple"})
	must(err)
	session := specway.NewClient(registered.Token, specway.WithBaseURL(base))
	scopes := []specway.APIKeyCreateScopesItem{"read", "write"}
	minted, err := session.APIKeys.Create(ctx, specway.APIKeyCreate{Name: "sdk-go-stream", Scopes: scopes})
	must(err)
	setup := specway.NewClient(minted.Key, specway.WithBaseURL(base))
	project, err := setup.Projects.Create(ctx, specway.ProjectCreate{Name: fmt.Sprintf("sdk-go-stream-%d", time.Now().UnixNano())})
	must(err)
	for i := 0; i < 3; i++ {
		_, err := setup.Projects.Get(ctx, project.ID)
		must(err)
	}

	// Replay from Last-Event-ID 0 through a connection dropped after its first event.
	transport := &dropFirstStream{}
	client := specway.NewClient(
		minted.Key,
		specway.WithBaseURL(base),
		specway.WithHTTPClient(&http.Client{Transport: transport}),
	)
	started := time.Now()
	gets := fmt.Sprintf("GET /v1/projects/%s 200", project.ID)
	stream, err := client.Monitoring.StreamLogs(project.ID, &specway.MonitoringStreamLogsParams{LastEventID: specway.String("0")})
	must(err)
	seen := map[string]bool{}
	repeated, found := false, 0
	for found < 3 && stream.Next(ctx) {
		line := stream.Event()
		// The event's id (its position in the log): two lines may share a millisecond and a
		// message ("GET … 200 0ms" twice), never an id.
		key := stream.RawEvent().ID
		repeated = repeated || seen[key]
		seen[key] = true
		if strings.HasPrefix(line.Message, gets) {
			found++
		}
	}
	must(stream.Err())
	must(stream.Close())
	out["resume"] = map[string]interface{}{
		"resumed":     transport.resumed,
		"gets":        found,
		"repeated":    repeated,
		"lastEventID": stream.LastEventID(),
		"eventName":   stream.RawEvent().Event,
		"waitedMs":    time.Since(started).Milliseconds(),
	}

	// An unknown project: the first Next is false and Err a *NotFoundError.
	missing, err := client.Monitoring.StreamLogs("proj_missing", nil, specway.WithMaxRetries(0))
	must(err)
	var notFound *specway.NotFoundError
	out["missing"] = map[string]interface{}{
		"next":     missing.Next(ctx),
		"notFound": errors.As(missing.Err(), &notFound),
	}

	encoded, err := json.Marshal(out)
	must(err)
	fmt.Println(string(encoded))
}
