package sim

import (
	"testing"

	"starling/alerts"
	"starling/catchup"
)

// TestMeter checks that the meter counts both catch-up protocols (a run
// whose sessions all negotiated the second reported 0 bytes of catch-up)
// and the alerts', and nothing else.
func TestMeter(t *testing.T) {
	var m meter
	m.LogSentMessageStream(10, catchup.ProtocolID, "")
	m.LogRecvMessageStream(20, catchup.ProtocolID, "")
	m.LogSentMessageStream(100, catchup.ProtocolID2, "")
	m.LogRecvMessageStream(200, catchup.ProtocolID2, "")
	m.LogSentMessageStream(1000, "/meshsub/1.2.0", "")
	m.LogRecvMessageStream(1000, catchup.FetchProtocolID, "")
	m.LogSentMessageStream(3, alerts.Protocol, "")
	m.LogRecvMessageStream(4, alerts.Protocol, "")
	if got := m.catchupBytes(); got != 330 {
		t.Errorf("catch-up bytes %d, want 330", got)
	}
	if in, out := m.alertIn.Load(), m.alertOut.Load(); in != 4 || out != 3 {
		t.Errorf("alert bytes in %d out %d, want 4 and 3", in, out)
	}
}
