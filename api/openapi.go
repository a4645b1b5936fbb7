package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of SpiderGo's HTTP API, in YAML. The
// server serves it at GET /openapi.json, and its tests check it against
// the route table and validate real answers against its schemas, so it
// cannot drift from what the server does.
//
//go:embed openapi.yaml
var OpenAPI []byte
