// Package chromium drives Debian's headless Chromium through the DevTools
// protocol (chromedp) for the console's browser tests (tests only): it
// starts the browser at a fixed window size, or skips the test with one
// line where none is installed, and clicks and reads the page the way
// those tests need it to be reliable on a page that re-renders as a live
// drill runs.
package chromium
