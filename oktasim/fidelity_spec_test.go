package oktasim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	gosync "sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// sdkModule is the module whose bundled OpenAPI document is the reference
// the simulator is held to.
const sdkModule = "github.com/okta/okta-sdk-golang/v5"

// fidelityHome is HOME as the test binary started with it: SDK tests point
// HOME at a temporary directory to isolate the SDK from ~/.okta, and `go
// list` needs the real one to find the module cache.
var fidelityHome = os.Getenv("HOME")

// fidelitySpec is the parsed Okta management spec plus what the tests need
// to check responses against it. It is loaded once per test binary: the
// document is 2.6 MB.
type fidelitySpec struct {
	doc         *openapi3.T
	router      routers.Router
	errorSchema *openapi3.Schema

	mu       gosync.Mutex
	coverage map[string]int // "GET /api/v1/users 200" → validated responses
}

var (
	fidelityOnce gosync.Once
	fidelityVal  *fidelitySpec
	fidelityErr  error
)

// loadFidelitySpec returns the shared spec, failing the test when it cannot
// be found or parsed.
func loadFidelitySpec(t testing.TB) *fidelitySpec {
	t.Helper()
	fidelityOnce.Do(func() { fidelityVal, fidelityErr = parseFidelitySpec() })
	if fidelityErr != nil {
		t.Fatalf("load Okta OpenAPI spec: %v", fidelityErr)
	}
	return fidelityVal
}

// specFile finds okta/api/openapi.yaml in the SDK module: first through `go
// list` (honours GOMODCACHE, GOFLAGS, replace directives), then in the
// default module cache for the version this test binary was built with.
func specFile() (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", sdkModule)
	cmd.Env = append(os.Environ(), "HOME="+fidelityHome)
	out, err := cmd.Output()
	if err == nil && len(bytes.TrimSpace(out)) > 0 {
		return filepath.Join(strings.TrimSpace(string(out)), "okta", "api", "openapi.yaml"), nil
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", fmt.Errorf("go list %s: %v; no build info to fall back on", sdkModule, err)
	}
	for _, dep := range info.Deps {
		if dep.Path != sdkModule {
			continue
		}
		cache := os.Getenv("GOMODCACHE")
		if cache == "" {
			cache = filepath.Join(fidelityHome, "go", "pkg", "mod")
		}
		return filepath.Join(cache, dep.Path+"@"+dep.Version, "okta", "api", "openapi.yaml"), nil
	}
	return "", fmt.Errorf("go list %s: %v; module not in build info", sdkModule, err)
}

func parseFidelitySpec() (*fidelitySpec, error) {
	path, err := specFile()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", path, err)
	}
	fixSpecPatterns(doc)
	// The spec's only server is https://{yourOktaDomain}; the simulator runs
	// on loopback over plain HTTP, so match on paths alone.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", path, err)
	}
	errRef := doc.Components.Schemas["Error"]
	if errRef == nil || errRef.Value == nil {
		return nil, fmt.Errorf("%s has no Error schema", path)
	}
	return &fidelitySpec{doc: doc, router: router, errorSchema: errRef.Value, coverage: map[string]int{}}, nil
}

// brokenDurationPattern is the ISO 8601 duration pattern of the spec's
// TimeDuration schema (ApiToken.tokenWindow). It was translated from a
// regex with look-arounds, (?!$) and (?=\d), into (?:$) and (?:\d), and
// now matches no duration at all, not even the "P30D" Okta returns.
const brokenDurationPattern = `^P(?:$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?:\d)(\d+H)?(\d+M)?(\d+S)?)?$`

// fixSpecPatterns replaces the unsatisfiable duration pattern with the
// RE2-compatible equivalent of what it meant.
func fixSpecPatterns(doc *openapi3.T) {
	for _, ref := range doc.Components.Schemas {
		if ref.Value == nil {
			continue
		}
		if ref.Value.Pattern == brokenDurationPattern {
			ref.Value.Pattern = `^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$`
		}
		for _, p := range ref.Value.Properties {
			if p.Value != nil && p.Value.Pattern == brokenDurationPattern {
				p.Value.Pattern = `^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$`
			}
		}
	}
}

// operation returns the spec's operation and path template for a request.
func (f *fidelitySpec) operation(req *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := f.router.FindRoute(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s is not in the spec: %w", req.Method, req.URL.Path, err)
	}
	return route, params, nil
}

// check validates one response of the simulator against the spec: the
// status must be declared for the operation (error statuses the spec leaves
// out, such as 401, must still carry Okta's Error body), headers and body
// must match the declared content, and Okta's rate-limit and date headers
// must be present.
func (f *fidelitySpec) check(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := f.operation(req)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s %s %d", req.Method, route.Path, status)
	for _, h := range []string{"Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
		if header.Get(h) == "" {
			return fmt.Errorf("%s: header %s missing", key, h)
		}
	}
	if status >= 400 {
		if err := f.checkErrorBody(header, body); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	declared := route.Operation.Responses.Status(status) != nil
	if !declared && status < 400 {
		return fmt.Errorf("%s: status not declared by the spec", key)
	}
	if declared {
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{
				Request:    req,
				PathParams: params,
				Route:      route,
			},
			Status:  status,
			Header:  header,
			Body:    io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
			return fmt.Errorf("%s: %w", key, shortenSpecError(err))
		}
	}
	f.mu.Lock()
	f.coverage[key]++
	f.mu.Unlock()
	return nil
}

// checkErrorBody holds error responses to Okta's error shape, which the
// spec declares for 400/403/404/429 and which Okta also sends for 401.
func (f *fidelitySpec) checkErrorBody(header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("error response Content-Type %q, want application/json", ct)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	if err := f.errorSchema.VisitJSON(v); err != nil {
		return fmt.Errorf("error body does not match Error schema: %w", shortenSpecError(err))
	}
	var e struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		ErrorID      string `json:"errorId"`
		ErrorCauses  []any  `json:"errorCauses"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("error body: %w", err)
	}
	if e.ErrorCode == "" || e.ErrorSummary == "" || e.ErrorID == "" || e.ErrorCauses == nil {
		return fmt.Errorf("error body lacks errorCode/errorSummary/errorId/errorCauses: %s", body)
	}
	return nil
}

// shortenSpecError keeps kin-openapi's messages readable: on a 2.6 MB spec
// they otherwise embed whole schemas.
func shortenSpecError(err error) error {
	msg := err.Error()
	if len(msg) > 2000 {
		msg = msg[:2000] + "…"
	}
	return fmt.Errorf("%s", msg)
}

// covered lists the validated "METHOD template status" keys, sorted.
func (f *fidelitySpec) covered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, 0, len(f.coverage))
	for k := range f.coverage {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fidelityClient sends requests to a running simulator and validates every
// response against the spec before handing it back.
type fidelityClient struct {
	t      testing.TB
	spec   *fidelitySpec
	base   string
	auth   string // full Authorization header value, e.g. "SSWS 00abc"
	client *http.Client
}

func newFidelityClient(t testing.TB, baseURL, auth string) *fidelityClient {
	t.Helper()
	return &fidelityClient{t: t, spec: loadFidelitySpec(t), base: strings.TrimSuffix(baseURL, "/"), auth: auth, client: &http.Client{}}
}

// with returns a copy of the client that authenticates differently.
func (c *fidelityClient) with(auth string) *fidelityClient {
	cp := *c
	cp.auth = auth
	return &cp
}

// do sends one request (target is a path with query, or an absolute URL as
// found in a Link header), validates the response and returns it with its
// body.
func (c *fidelityClient) do(method, target string, body any) (*http.Response, []byte) {
	c.t.Helper()
	req, resp, data := c.send(method, target, body)
	if err := c.spec.check(req, resp.StatusCode, resp.Header, data); err != nil {
		c.t.Errorf("spec: %v", err)
	}
	return resp, data
}

// send sends one request and reads its response, without validating it.
func (c *fidelityClient) send(method, target string, body any) (*http.Request, *http.Response, []byte) {
	c.t.Helper()
	url := target
	if !strings.HasPrefix(target, "http") {
		url = c.base + target
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatalf("build %s %s: %v", method, url, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read %s %s: %v", method, url, err)
	}
	return req, resp, data
}

// expect is do plus a status check.
func (c *fidelityClient) expect(status int, method, target string, body any) (*http.Response, []byte) {
	c.t.Helper()
	resp, data := c.do(method, target, body)
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, target, resp.StatusCode, status, truncateForLog(data))
	}
	return resp, data
}

// pages follows rel="next" links from target, validating every page (or
// every sampleEvery-th page after the first two, for big scenarios), and
// returns all items decoded as generic JSON objects.
func (c *fidelityClient) pages(target string, sampleEvery int) []map[string]any {
	c.t.Helper()
	var all []map[string]any
	next := target
	seen := map[string]bool{}
	for n := 0; next != ""; n++ {
		if seen[next] {
			c.t.Fatalf("paging loop: %s returned twice", next)
		}
		seen[next] = true
		validate := sampleEvery <= 1 || n < 2 || n%sampleEvery == 0
		var resp *http.Response
		var data []byte
		if validate {
			resp, data = c.expect(http.StatusOK, http.MethodGet, next, nil)
		} else {
			resp, data = c.raw(http.MethodGet, next)
		}
		var items []map[string]any
		if err := json.Unmarshal(data, &items); err != nil {
			c.t.Fatalf("page %d of %s: %v", n, target, err)
		}
		all = append(all, items...)
		next = linkNext(resp.Header)
	}
	return all
}

// raw sends an authenticated request without spec validation (used to
// skip pages when sampling big scenarios); it still wants a 200.
func (c *fidelityClient) raw(method, target string) (*http.Response, []byte) {
	c.t.Helper()
	_, resp, data := c.send(method, target, nil)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s %s: status %d: %s", method, target, resp.StatusCode, truncateForLog(data))
	}
	return resp, data
}

// linkNext returns the rel="next" URL of Okta's Link headers, or "".
func linkNext(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if !strings.Contains(part, `rel="next"`) {
				continue
			}
			start, end := strings.Index(part, "<"), strings.Index(part, ">")
			if start >= 0 && end > start {
				return part[start+1 : end]
			}
		}
	}
	return ""
}

func truncateForLog(b []byte) string {
	if len(b) > 500 {
		return string(b[:500]) + "…"
	}
	return string(b)
}
