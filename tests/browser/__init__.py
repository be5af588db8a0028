"""Browser tests: Chromium through Playwright, at a phone viewport, in Chinese."""
