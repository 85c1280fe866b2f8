package scenarios

import (
	"fmt"
	"io"
	"regexp"

	"github.com/drillkit/drill/features"
)

// WritePlan prints, for each selected scenario, the steps it would follow
// and what each does, without starting anything.
func WritePlan(w io.Writer, sel *Selection, opts Options) error {
	cat := features.Catalog()
	res := make([]*regexp.Regexp, len(cat))
	for i, s := range cat {
		res[i] = regexp.MustCompile(s.Expr)
	}
	for _, sc := range sel.Scenarios {
		fmt.Fprintf(w, "%s (%s:%d) %v\n", sc.Name, sc.File, sc.Line, sc.Tags)
		fmt.Fprintf(w, "  speed ×%g; control window %s before the first fault\n", opts.Speed, opts.ControlWindow)
		for _, st := range sc.Steps {
			doc := "(undefined)"
			for i, re := range res {
				if re.MatchString(st.Text) {
					doc = cat[i].Doc
					break
				}
			}
			fmt.Fprintf(w, "  %d: %s%s\n       %s\n", st.Line, st.Keyword, st.Text, doc)
		}
		fmt.Fprintln(w)
	}
	return nil
}
