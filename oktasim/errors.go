package oktasim

import (
	"net/http"
	"sync/atomic"
)

// errorSeq numbers error ids across all sims in the process.
var errorSeq atomic.Uint64

// fail replaces c's response with an Okta error body.
func (c *call) fail(status int, code, summary string, causes ...string) {
	c.status = status
	c.links = nil
	b := c.body[:0]
	b = append(b, `{"errorCode":`...)
	b = appendStr(b, code)
	b = append(b, `,"errorSummary":`...)
	b = appendStr(b, summary)
	b = append(b, `,"errorLink":`...)
	b = appendStr(b, code)
	b = append(b, `,"errorId":`...)
	b = appendStr(b, errorID())
	b = append(b, `,"errorCauses":[`...)
	for i, cause := range causes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"errorSummary":`...)
		b = appendStr(b, cause)
		b = append(b, '}')
	}
	c.body = append(b, "]}"...)
	if status == http.StatusUnauthorized {
		c.setHeader("WWW-Authenticate", `SSWS realm="okta"`)
	}
}

// badRequest answers 400 E0000001 (validation failed) for one field.
func (c *call) badRequest(field, why string) {
	c.fail(http.StatusBadRequest, "E0000001", "Api validation failed: "+field, field+": "+why)
}

// badSearch answers 400 E0000031 (invalid filter or search expression).
func (c *call) badSearch(why string) {
	c.fail(http.StatusBadRequest, "E0000031", "Invalid search criteria.", why)
}

// notFound answers 404 E0000007 for an object of kind.
func (c *call) notFound(id, kind string) {
	c.fail(http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" ("+kind+")")
}

// errorID returns a unique Okta-looking error id ("oae" + 19 characters).
func errorID() string {
	n := errorSeq.Add(1)
	var b [22]byte
	copy(b[:], "oae")
	h := mix64(n)
	for i := 3; i < len(b); i++ {
		if i == 13 {
			h = mix64(h + n)
		}
		b[i] = base62[h%62]
		h /= 62
	}
	return string(b[:])
}
