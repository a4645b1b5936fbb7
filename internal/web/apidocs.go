package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/spidergo/spidergo/api"
)

// apiDocsFS holds the API reference's template and stylesheet: the page
// loads nothing from anywhere else.
//
//go:embed apidocs/page.html apidocs/style.css
var apiDocsFS embed.FS

// apiDocsPage is the reference rendered once, with the Content-Security-
// Policy that allows its one stylesheet by hash and nothing else.
type apiDocsPage struct {
	html []byte
	csp  string
}

var apiDocs = sync.OnceValues(func() (*apiDocsPage, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	return renderAPIDocs(doc)
})

// ServeAPIReference answers GET /docs/api: the human API reference
// generated from the OpenAPI document, rendered once.
func ServeAPIReference(w http.ResponseWriter, r *http.Request) error {
	p, err := apiDocs()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", p.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(p.html)
	return err
}

// The view of the document the template shows.
type (
	docsView struct {
		Title, Version, Description string
		Style                       template.CSS
		Count                       int
		Tags                        []*docsTag
	}
	docsTag struct {
		Name, Description string
		Ops               []*docsOp
	}
	docsOp struct {
		ID, Method, Path, Summary, Description, Auth string
		Params                                       []docsParam
		Body                                         *docsBody
		Responses                                    []docsResponse
	}
	docsParam struct {
		Name, In, Type, Description string
		Required                    bool
	}
	docsBody struct {
		ContentType string
		Required    bool
		Fields      []docsField
	}
	docsResponse struct {
		Status, Description, ContentType string
		Fields                           []docsField
	}
	docsField struct {
		Name, Type, Default, Description string
		Required                         bool
	}
)

// renderAPIDocs renders doc as the reference page: operations grouped by
// their first tag, in the document's tag order.
func renderAPIDocs(doc *openapi3.T) (*apiDocsPage, error) {
	css, err := apiDocsFS.ReadFile("apidocs/style.css")
	if err != nil {
		return nil, err
	}
	tmpl, err := template.ParseFS(apiDocsFS, "apidocs/page.html")
	if err != nil {
		return nil, err
	}
	v := &docsView{Style: template.CSS(css)}
	if doc.Info != nil {
		v.Title, v.Version, v.Description = doc.Info.Title, doc.Info.Version, doc.Info.Description
	}
	tags := map[string]*docsTag{}
	for _, t := range doc.Tags {
		dt := &docsTag{Name: t.Name, Description: t.Description}
		tags[t.Name] = dt
		v.Tags = append(v.Tags, dt)
	}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		methods := item.Operations()
		names := make([]string, 0, len(methods))
		for m := range methods {
			names = append(names, m)
		}
		sort.Slice(names, func(i, j int) bool { return methodRank(names[i]) < methodRank(names[j]) })
		for _, m := range names {
			op := methods[m]
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			dt := tags[tag]
			if dt == nil {
				dt = &docsTag{Name: tag}
				tags[tag] = dt
				v.Tags = append(v.Tags, dt)
			}
			dt.Ops = append(dt.Ops, docsOperation(doc, m, path, item, op))
			v.Count++
		}
	}
	v.Tags = slices.DeleteFunc(v.Tags, func(t *docsTag) bool { return len(t.Ops) == 0 })
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return &apiDocsPage{html: buf.Bytes(), csp: csp}, nil
}

func methodRank(m string) int {
	if i := slices.Index([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m); i >= 0 {
		return i
	}
	return 9
}

func docsOperation(doc *openapi3.T, method, path string, item *openapi3.PathItem, op *openapi3.Operation) *docsOp {
	o := &docsOp{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
	if o.ID == "" {
		o.ID = strings.ToLower(method) + strings.ReplaceAll(path, "/", "-")
	}
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	o.Auth = docsAuth(doc, sec)
	params := append(slices.Clone(item.Parameters), op.Parameters...)
	for _, pr := range params {
		p := pr.Value
		if p == nil {
			continue
		}
		dp := docsParam{Name: p.Name, In: p.In, Required: p.Required, Description: p.Description}
		if p.Schema != nil {
			dp.Type = schemaType(p.Schema)
			if dp.Description == "" && p.Schema.Value != nil {
				dp.Description = p.Schema.Value.Description
			}
		}
		o.Params = append(o.Params, dp)
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		b := &docsBody{Required: rb.Required}
		b.ContentType, b.Fields = contentFields(rb.Content)
		o.Body = b
	}
	if op.Responses != nil {
		codes := make([]string, 0, op.Responses.Len())
		for code := range op.Responses.Map() {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			rr := op.Responses.Value(code)
			if rr == nil || rr.Value == nil {
				continue
			}
			dr := docsResponse{Status: code}
			if rr.Value.Description != nil {
				dr.Description = *rr.Value.Description
			}
			dr.ContentType, dr.Fields = contentFields(rr.Value.Content)
			o.Responses = append(o.Responses, dr)
		}
	}
	return o
}

// docsAuth says in words what the security requirements accept.
func docsAuth(doc *openapi3.T, sec openapi3.SecurityRequirements) string {
	if len(sec) == 0 {
		return "none"
	}
	var alts []string
	for _, req := range sec {
		if len(req) == 0 {
			alts = append(alts, "none")
			continue
		}
		var names []string
		for name := range req {
			label := name
			if doc.Components != nil {
				if ss := doc.Components.SecuritySchemes[name]; ss != nil && ss.Value != nil {
					switch v := ss.Value; {
					case v.Type == "http" && v.Scheme != "":
						label = fmt.Sprintf("%s (HTTP %s)", name, v.Scheme)
					case v.Type == "apiKey":
						label = fmt.Sprintf("%s (%s %s)", name, v.In, v.Name)
					}
				}
			}
			names = append(names, label)
		}
		sort.Strings(names)
		alts = append(alts, strings.Join(names, " and "))
	}
	return strings.Join(alts, ", or ")
}

// contentFields picks the first content type (JSON first) and lists the
// fields of its schema.
func contentFields(content openapi3.Content) (string, []docsField) {
	if len(content) == 0 {
		return "", nil
	}
	types := make([]string, 0, len(content))
	for ct := range content {
		types = append(types, ct)
	}
	sort.Slice(types, func(i, j int) bool {
		ji, jj := strings.Contains(types[i], "json"), strings.Contains(types[j], "json")
		if ji != jj {
			return ji
		}
		return types[i] < types[j]
	})
	mt := content[types[0]]
	if mt == nil || mt.Schema == nil {
		return types[0], nil
	}
	return types[0], schemaFields(mt.Schema)
}

// schemaFields lists the properties of an object schema, those of its
// allOf parts included; other schemas are one row naming their type.
func schemaFields(ref *openapi3.SchemaRef) []docsField {
	s := ref.Value
	if s == nil {
		return nil
	}
	var fields []docsField
	seen := map[string]bool{}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if seen[name] {
				continue
			}
			seen[name] = true
			p := s.Properties[name]
			f := docsField{Name: name, Type: schemaType(p), Required: slices.Contains(s.Required, name)}
			if p.Value != nil {
				f.Description = p.Value.Description
				if p.Value.Default != nil {
					if b, err := json.Marshal(p.Value.Default); err == nil {
						f.Default = string(b)
					}
				}
			}
			fields = append(fields, f)
		}
		for _, part := range s.AllOf {
			if part.Value != nil {
				walk(part.Value)
			}
		}
	}
	walk(s)
	if len(fields) == 0 {
		fields = []docsField{{Name: "(body)", Type: schemaType(ref), Description: s.Description}}
	}
	return fields
}

// schemaType names a schema's type: its component name when it is a
// reference, "array of X" for arrays.
func schemaType(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	if ref.Ref != "" {
		return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	}
	s := ref.Value
	if s == nil {
		return ""
	}
	var t string
	if s.Type != nil {
		t = strings.Join(*s.Type, " | ")
	}
	switch {
	case s.Type != nil && s.Type.Is("array") && s.Items != nil:
		t = "array of " + schemaType(s.Items)
	case t == "" && len(s.OneOf) > 0:
		var alts []string
		for _, a := range s.OneOf {
			alts = append(alts, schemaType(a))
		}
		t = strings.Join(alts, " | ")
	case t == "" && len(s.AllOf) == 1:
		t = schemaType(s.AllOf[0])
	case t == "":
		t = "any"
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			b, _ := json.Marshal(e)
			vals = append(vals, string(b))
		}
		t += " (" + strings.Join(vals, ", ") + ")"
	}
	if s.Format != "" {
		t += ", " + s.Format
	}
	return t
}
