package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxJSONLDBytes bounds the JSON-LD a page may make us decode.
const maxJSONLDBytes = 4 << 20

// parseJSONLD decodes every JSON-LD block. A block holding an array gives one
// entry per element; objects, including @graph containers, are kept whole.
// Blocks that are not valid JSON are retried once after the common authoring
// slips are repaired (HTML comment or CDATA wrappers, trailing commas, raw
// control characters inside strings); blocks still broken are skipped.
func parseJSONLD(blocks []string) []any {
	var out []any
	total := 0
	for _, b := range blocks {
		total += len(b)
		if total > maxJSONLDBytes {
			break
		}
		vals, err := decodeJSONValues(b)
		if err != nil {
			vals, err = decodeJSONValues(repairJSON(b))
			if err != nil {
				continue
			}
		}
		for _, v := range vals {
			if arr, ok := v.([]any); ok {
				for _, e := range arr {
					if _, ok := e.(map[string]any); ok {
						out = append(out, e)
					}
				}
			} else if _, ok := v.(map[string]any); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// decodeJSONValues decodes one or more concatenated JSON values; numbers are
// kept as written (json.Number) so that prices are not reformatted.
func decodeJSONValues(s string) ([]any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var vals []any
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// repairJSON fixes what commonly breaks hand-written JSON-LD: it strips
// <!-- --> and CDATA wrappers, drops commas before a closing bracket,
// escapes raw control characters inside strings and drops semicolons
// between values.
func repairJSON(s string) string {
	s = strings.TrimSpace(s)
	for _, w := range [][2]string{{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"//<![CDATA[", "//]]>"}} {
		s = strings.TrimSpace(strings.TrimPrefix(s, w[0]))
		s = strings.TrimSpace(strings.TrimSuffix(s, w[1]))
	}
	var b bytes.Buffer
	b.Grow(len(s))
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			case c == '\n':
				b.WriteString(`\n`)
				continue
			case c == '\r':
				b.WriteString(`\r`)
				continue
			case c == '\t':
				b.WriteString(`\t`)
				continue
			case c < 0x20:
				continue
			}
			b.WriteByte(c)
			continue
		}
		switch c {
		case '"':
			inString = true
		case ',':
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\n' || s[j] == '\r' || s[j] == '\t') {
				j++
			}
			if j < len(s) && (s[j] == '}' || s[j] == ']') {
				continue
			}
		case ';':
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ldNodes calls fn for every JSON-LD object in v, descending into arrays,
// @graph lists and property values.
func ldNodes(v any, fn func(map[string]any), depth int) {
	if depth > 32 {
		return
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			ldNodes(e, fn, depth+1)
		}
	case map[string]any:
		fn(x)
		// Sorted keys keep the order of found products stable.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e := x[k]
			switch e.(type) {
			case []any, map[string]any:
				ldNodes(e, fn, depth+1)
			}
		}
	}
}

// ldType reports whether the object's @type is one of types (schema.org
// prefixes ignored).
func ldType(o map[string]any, types ...string) bool {
	var ts []string
	switch t := o["@type"].(type) {
	case string:
		ts = []string{t}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				ts = append(ts, s)
			}
		}
	}
	for _, t := range ts {
		t = shortType(t)
		for _, want := range types {
			if strings.EqualFold(t, want) {
				return true
			}
		}
	}
	return false
}

// shortType turns "http://schema.org/Product" or "schema:Product" into "Product".
func shortType(t string) string {
	t = strings.TrimSpace(t)
	if i := strings.LastIndexAny(t, "/:#"); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// ldString returns a property as text: strings as they are, numbers as
// written, the name/@id/url of an object, the first usable array element.
func ldString(v any, keys ...string) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		for _, e := range x {
			if s := ldString(e, keys...); s != "" {
				return s
			}
		}
	case map[string]any:
		if len(keys) == 0 {
			keys = []string{"name", "@value", "url", "@id"}
		}
		for _, k := range keys {
			if s := ldString(x[k]); s != "" {
				return s
			}
		}
	}
	return ""
}

var productTypes = []string{"Product", "IndividualProduct", "ProductModel", "ProductGroup", "SomeProducts", "Vehicle", "Car"}

// products gathers the page's products from JSON-LD, microdata and the
// OpenGraph product tags. The same product described twice (JSON-LD and
// microdata, or OpenGraph) is merged into one entry.
func (p *page) products(ld []any) []Product {
	var out []Product
	for _, v := range ld {
		ldNodes(v, func(o map[string]any) {
			if ldType(o, productTypes...) {
				out = mergeProduct(out, p.ldProduct(o))
			}
		}, 0)
	}
	for _, n := range p.microdata {
		p.microdataProducts(n, func(pr Product) { out = mergeProduct(out, pr) })
	}
	if pr, ok := p.ogProduct(); ok {
		if len(out) == 1 && (out[0].Name == "" || pr.Name == "" || sameName(out[0].Name, pr.Name)) {
			fillProduct(&out[0], pr)
		} else {
			out = mergeProduct(out, pr)
		}
	}
	if out == nil {
		out = []Product{}
	}
	return out
}

func (p *page) ldProduct(o map[string]any) Product {
	pr := Product{
		Name:        ldString(o["name"]),
		Description: collapseSpace(ldString(o["description"])),
		SKU:         firstNonEmpty(ldString(o["sku"]), ldString(o["mpn"]), ldString(o["gtin13"]), ldString(o["productID"])),
		Brand:       ldString(o["brand"], "name"),
		ImageURL:    p.abs(ldString(o["image"], "url", "contentUrl", "@id")),
		URL:         p.abs(ldString(o["url"])),
	}
	var offers []map[string]any
	var collect func(v any, depth int)
	collect = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			offers = append(offers, x)
			if inner, ok := x["offers"]; ok {
				collect(inner, depth+1)
			}
		case []any:
			for _, e := range x {
				collect(e, depth+1)
			}
		}
	}
	collect(o["offers"], 0)
	for _, off := range offers {
		price := firstNonEmpty(ldString(off["price"]), ldString(off["lowPrice"]), ldString(off["highPrice"]))
		cur := ldString(off["priceCurrency"])
		if spec := off["priceSpecification"]; price == "" && spec != nil {
			price = ldString(spec, "price")
			if cur == "" {
				cur = ldString(spec, "priceCurrency")
			}
		}
		if pr.Price == "" && price != "" {
			pr.Price = price
			if pr.Currency == "" {
				pr.Currency = cur
			}
		}
		if pr.Currency == "" {
			pr.Currency = cur
		}
		if pr.Availability == "" {
			pr.Availability = shortType(ldString(off["availability"]))
		}
		if pr.URL == "" {
			pr.URL = p.abs(ldString(off["url"]))
		}
		if pr.SKU == "" {
			pr.SKU = ldString(off["sku"])
		}
	}
	return pr
}

// microdataProducts finds itemtype=…/Product items under root (root itself
// included) and reads their properties.
func (p *page) microdataProducts(root *html.Node, fn func(Product)) {
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		if _, ok := attrOK(n, "itemscope"); !ok {
			return true
		}
		isProduct := false
		for _, t := range strings.Fields(attr(n, "itemtype")) {
			for _, want := range productTypes {
				if strings.EqualFold(shortType(t), want) {
					isProduct = true
				}
			}
		}
		if !isProduct {
			return true
		}
		props := p.itemProps(n)
		pr := Product{
			Name:        props["name"],
			Description: collapseSpace(props["description"]),
			SKU:         firstNonEmpty(props["sku"], props["mpn"], props["gtin13"], props["productID"]),
			Brand:       firstNonEmpty(props["brand.name"], props["brand"]),
			ImageURL:    props["image"],
			URL:         props["url"],
			Price:       firstNonEmpty(props["offers.price"], props["offers.lowPrice"], props["price"]),
			Currency:    firstNonEmpty(props["offers.priceCurrency"], props["priceCurrency"]),
			Availability: shortType(firstNonEmpty(props["offers.availability"],
				props["availability"])),
		}
		fn(pr)
		return false
	})
}

// itemProps reads the properties of one microdata item, first value of each
// name wins. Properties of nested items are keyed "outer.inner" one level
// deep (offers.price, brand.name).
func (p *page) itemProps(item *html.Node) map[string]string {
	props := map[string]string{}
	var visit func(n *html.Node, prefix string, depth int)
	visit = func(n *html.Node, prefix string, depth int) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			names := strings.Fields(attr(c, "itemprop"))
			_, scoped := attrOK(c, "itemscope")
			for _, name := range names {
				key := prefix + name
				if _, ok := props[key]; ok {
					continue
				}
				if v := p.itemValue(c, scoped); v != "" {
					props[key] = v
				}
			}
			switch {
			case scoped && len(names) > 0 && depth == 0:
				visit(c, names[0]+".", depth+1)
			case scoped:
				// another item's properties are not this item's
			default:
				visit(c, prefix, depth)
			}
		}
	}
	visit(item, "", 0)
	return props
}

// itemValue is a microdata property's value as the microdata rules define it.
func (p *page) itemValue(n *html.Node, scoped bool) string {
	if scoped {
		// an item used as a value: its name, else its text
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && attr(c, "itemprop") == "name" {
				return p.itemValue(c, false)
			}
		}
		return ""
	}
	switch n.DataAtom {
	case atom.Meta:
		return strings.TrimSpace(attr(n, "content"))
	case atom.A, atom.Area, atom.Link:
		return p.abs(attr(n, "href"))
	case atom.Img, atom.Audio, atom.Video, atom.Source, atom.Iframe, atom.Embed:
		return p.abs(attr(n, "src"))
	case atom.Object:
		return p.abs(attr(n, "data"))
	case atom.Data, atom.Meter:
		return strings.TrimSpace(attr(n, "value"))
	case atom.Time:
		if v, ok := attrOK(n, "datetime"); ok {
			return strings.TrimSpace(v)
		}
	}
	if v, ok := attrOK(n, "content"); ok {
		return strings.TrimSpace(v)
	}
	return collapseSpace(textOf(n))
}

// ogProduct reads the OpenGraph product tags (og:type=product).
func (p *page) ogProduct() (Product, bool) {
	t := strings.ToLower(p.meta("og:type"))
	if t != "product" && !strings.HasPrefix(t, "product.") && t != "og:product" {
		return Product{}, false
	}
	return Product{
		Name:         p.meta("og:title"),
		Price:        p.meta("product:price:amount", "og:price:amount", "product:sale_price:amount"),
		Currency:     p.meta("product:price:currency", "og:price:currency", "product:sale_price:currency"),
		ImageURL:     p.abs(p.meta("og:image", "og:image:url", "og:image:secure_url")),
		Description:  p.meta("og:description"),
		URL:          p.abs(p.meta("og:url")),
		Availability: p.meta("product:availability", "og:availability"),
		SKU:          p.meta("product:retailer_item_id", "product:sku"),
		Brand:        p.meta("product:brand", "og:brand"),
	}, true
}

func sameName(a, b string) bool {
	return strings.EqualFold(collapseSpace(a), collapseSpace(b))
}

// mergeProduct appends pr, or fills the blanks of an existing entry that
// describes the same product (same SKU, or same name with no conflicting SKU).
func mergeProduct(list []Product, pr Product) []Product {
	if pr == (Product{}) {
		return list
	}
	for i := range list {
		q := &list[i]
		same := pr.SKU != "" && q.SKU == pr.SKU
		if !same && pr.Name != "" && sameName(q.Name, pr.Name) && (pr.SKU == "" || q.SKU == "" || pr.SKU == q.SKU) {
			same = true
		}
		if same {
			fillProduct(q, pr)
			return list
		}
	}
	return append(list, pr)
}

func fillProduct(dst *Product, src Product) {
	fill := func(d *string, s string) {
		if *d == "" {
			*d = s
		}
	}
	fill(&dst.Name, src.Name)
	fill(&dst.Price, src.Price)
	fill(&dst.Currency, src.Currency)
	fill(&dst.ImageURL, src.ImageURL)
	fill(&dst.Description, src.Description)
	fill(&dst.URL, src.URL)
	fill(&dst.Availability, src.Availability)
	fill(&dst.SKU, src.SKU)
	fill(&dst.Brand, src.Brand)
}
