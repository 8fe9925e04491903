package browser_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/modelspec/modelspec/internal/testutil/browser"
)

// TestBrowser loads a page that changes itself from a script and reads
// the result, so that a browser which starts but runs no script fails.
func TestBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.getElementById("out").textContent = String(6 * 7);`)
			return
		}
		fmt.Fprint(w, `<!doctype html><p id="out">not run</p><script src="/app.js"></script>`)
	}))
	defer srv.Close()
	ctx := browser.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#out")))
	if err != nil {
		t.Fatal(err)
	}
	if got != "42" {
		t.Errorf("page text = %q, want 42", got)
	}
}
