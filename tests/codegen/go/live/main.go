// Drives the Go SDK (sdk/go) against a live `specway serve` started by test_go_live.py.
// Usage: go run . <base URL>. Prints one JSON object with what it saw.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/specway/specway-go"
)

// recorder is a transport that remembers the requests it sent and the last response's headers.
type recorder struct {
	mu       sync.Mutex
	requests []string
	last     http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
	if err == nil {
		r.last = resp.Header
	}
	return resp, err
}

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

	// --- sign up, mint an API key, then use it --------------------------------------------------
	anonymous := specway.NewClient("", specway.WithBaseURL(base), specway.WithAPIKey(""))
	email := fmt.Sprintf("sdk-go-%d@example.com", time.Now().UnixNano())
	password := "correct-horse-battery-staple"
	registered, err := anonymous.Auth.Register(ctx, specway.RegisterRequest{Email: email, Password: password})
	must(err)
	session := specway.NewClient(registered.Token, specway.WithBaseURL(base))
	scopes := []specway.APIKeyCreateScopesItem{"read", "write", "delete", "admin"}
	minted, err := session.APIKeys.Create(ctx, specway.APIKeyCreate{Name: "sdk-go", Scopes: scopes})
	must(err)
	seen := &recorder{}
	client := specway.NewClient(
		minted.Key,
		specway.WithBaseURL(base),
		specway.WithHTTPClient(&http.Client{Transport: seen}),
	)

	// --- CRUD and a typed 404 --------------------------------------------------------------------
	created, err := client.Projects.Create(ctx, specway.ProjectCreate{Name: "sdk-go-crud", Description: specway.String("first")})
	must(err)
	fetched, err := client.Projects.Get(ctx, created.ID)
	must(err)
	updated, err := client.Projects.Update(ctx, created.ID, specway.ProjectUpdate{Description: specway.String("second")})
	must(err)
	must(client.Projects.Delete(ctx, created.ID))
	_, missing := client.Projects.Get(ctx, created.ID)
	var notFound *specway.NotFoundError
	var apiErr *specway.APIError
	isNotFound := errors.As(missing, &notFound)
	errors.As(missing, &apiErr)
	_, emptyID := client.Projects.Get(ctx, "")
	out["crud"] = map[string]interface{}{
		"createdName":        created.Name,
		"fetchedSame":        fetched.ID == created.ID,
		"updatedDescription": updated.Description,
		"notFound":           isNotFound,
		"status":             apiErr.Status,
		"code":               apiErr.Code,
		"requestId":          apiErr.RequestID,
		"headerRequestId":    seen.last.Get("X-Request-ID"),
		"emptyIdRefused":     emptyID != nil && !errors.As(emptyID, &apiErr),
	}

	// --- pagination across pages -------------------------------------------------------------------
	tag := fmt.Sprintf("sdk-go-page-%d", time.Now().UnixNano())
	var made []string
	for i := 0; i < 5; i++ {
		p, err := client.Projects.Create(ctx, specway.ProjectCreate{Name: fmt.Sprintf("%s-%d", tag, i)})
		must(err)
		made = append(made, p.ID)
	}
	params := &specway.ProjectListParams{Search: specway.String(tag), PerPage: specway.Int(2)}
	before := len(seen.requests)
	var listed []string
	it := client.Projects.ListAutoPaging(ctx, params)
	for it.Next() {
		listed = append(listed, it.Current().ID)
	}
	must(it.Err())
	listRequests := len(seen.requests) - before
	first, err := client.Projects.List(ctx, params)
	must(err)
	second, err := first.NextPage(ctx)
	must(err)
	sort.Strings(made)
	sort.Strings(listed)
	out["pagination"] = map[string]interface{}{
		"same":         strings.Join(made, ",") == strings.Join(listed, ","),
		"requests":     listRequests,
		"firstPage":    len(first.Data),
		"pages":        first.Pagination.Pages,
		"hasNext":      first.HasNextPage(),
		"secondPage":   second.Pagination.Page,
		"secondLength": len(second.Data),
	}

	// --- a real webhook delivery, verified ------------------------------------------------------------
	type delivery struct {
		body   []byte
		header http.Header
	}
	got := make(chan delivery, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{body, r.Header}
		w.WriteHeader(200)
	}))
	defer receiver.Close()
	hook, err := client.Webhooks.Create(ctx, specway.WebhookCreate{URL: receiver.URL + "/hooks", Events: []string{"project.created"}})
	must(err)
	announced, err := client.Projects.Create(ctx, specway.ProjectCreate{Name: "sdk-go-webhook"})
	must(err)
	var d delivery
	select {
	case d = <-got:
	case <-time.After(30 * time.Second):
		must(errors.New("no delivery within 30 s"))
	}
	event, err := specway.VerifyWebhook(d.body, d.header, hook.Secret)
	must(err)
	var data struct {
		Project struct {
			ID string `json:"id"`
		} `json:"project"`
	}
	must(json.Unmarshal(event.Data, &data))
	var failed *specway.WebhookVerificationError
	_, tampered := specway.VerifyWebhook(append(d.body, ' '), d.header, hook.Secret)
	_, stale := specway.VerifyWebhook(d.body, d.header, hook.Secret, specway.WithNow(time.Now().Add(10*time.Minute)))
	only := http.Header{}
	only.Set("X-Signature", d.header.Get("X-Signature"))
	_, bodyOnly := specway.VerifyWebhook(d.body, only, hook.Secret)
	out["webhook"] = map[string]interface{}{
		"event":          string(event.Event),
		"isCreatedEvent": event.Event == specway.EventProjectCreated,
		"projectMatches": data.Project.ID == announced.ID,
		"webhookId":      event.WebhookID == d.header.Get("webhook-id"),
		"tampered":       errors.As(tampered, &failed),
		"stale":          errors.As(stale, &failed),
		"xSignatureOnly": bodyOnly == nil,
	}

	// --- a live 429: login admits 10 attempts a minute per IP and email ----------------------------------
	noRetries := specway.NewClient("", specway.WithBaseURL(base), specway.WithAPIKey(""), specway.WithMaxRetries(0))
	var limited *specway.RateLimitError
	attempts := 0
	for limited == nil && attempts < 15 {
		attempts++
		_, err := noRetries.Auth.Login(ctx, specway.LoginRequest{Email: email, Password: "not-the-password"})
		errors.As(err, &limited)
	}
	retried := false
	waited := 0.0
	if limited != nil {
		retrying := specway.NewClient("", specway.WithBaseURL(base), specway.WithAPIKey(""), specway.WithMaxRetries(3))
		start := time.Now()
		login, err := retrying.Auth.Login(ctx, specway.LoginRequest{Email: email, Password: password})
		retried = err == nil && login.Token != ""
		waited = time.Since(start).Seconds()
	}
	out["rateLimited"] = map[string]interface{}{
		"attempts":   attempts,
		"surfaced":   limited != nil,
		"status":     limited.Status,
		"retryAfter": limited.RetryAfter.Seconds(),
		"requestId":  limited.RequestID != "",
		"retried":    retried,
		"waited":     waited,
	}

	text, _ := json.Marshal(out)
	fmt.Println(string(text))
}
