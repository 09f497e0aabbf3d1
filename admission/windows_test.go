package admission

import "testing"

// TestAuthorWindows: an author's rate windows count each message, saturate
// instead of wrapping, merge by the larger count, and once there are more
// than forgetWindowsAt, those that ended before the horizon go and the
// recent ones keep their counts.
func TestAuthorWindows(t *testing.T) {
	const window = 1000 // ms
	var au authorAccount
	for w := range uint64(forgetWindowsAt + 10) {
		for range w%3 + 1 {
			au.window(w)
		}
	}
	for _, w := range []uint64{0, 5, forgetWindowsAt + 9} {
		if got, want := au.windows.get(w), uint16(w%3+1); got != want {
			t.Errorf("window %d counts %d, want %d", w, got, want)
		}
	}
	if got := au.windows.get(forgetWindowsAt + 50); got != 0 {
		t.Errorf("an unused window counts %d", got)
	}
	au.windows.raise(5, 1) // smaller: no change
	au.windows.raise(6, 9)
	if au.windows.get(5) != 3 || au.windows.get(6) != 9 {
		t.Errorf("raise: window 5 = %d, 6 = %d; want 3, 9", au.windows.get(5), au.windows.get(6))
	}

	// Windows 0 to 39 end by 40 s.
	au.forgetOld(40*window, window, 0)
	if n := len(au.windows); n != forgetWindowsAt+10-40 {
		t.Errorf("%d windows after forgetting those before 40 s, want %d", n, forgetWindowsAt+10-40)
	}
	if au.windows.get(39) != 0 || au.windows.get(40) != uint16(40%3+1) {
		t.Errorf("after forgetting: window 39 = %d, 40 = %d", au.windows.get(39), au.windows.get(40))
	}
	// Under forgetWindowsAt windows, nothing is dropped.
	au.forgetOld(1000*window, window, 0)
	if n := len(au.windows); n != forgetWindowsAt+10-40 {
		t.Errorf("%d windows after a second forget below the threshold", n)
	}

	var busy authorAccount
	for range 70000 {
		busy.window(7)
	}
	if got := busy.windows.get(7); got != ^uint16(0) {
		t.Errorf("a window with 70000 messages counts %d, want it saturated", got)
	}
}
