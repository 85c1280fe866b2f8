package console

import _ "embed"

// The page: plain HTML, CSS and JavaScript, embedded, with no build
// step and nothing loaded from elsewhere.
var (
	//go:embed page/index.html
	pageHTML []byte
	//go:embed page/console.js
	pageJS []byte
	//go:embed page/console.css
	pageCSS []byte
)
