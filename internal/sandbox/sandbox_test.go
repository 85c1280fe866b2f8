package sandbox

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestIsolationString(t *testing.T) {
	require.Equal(t, "bwrap+netns", Isolation{Steps: Bwrap, NetNS: true}.String())
	require.Equal(t, "bwrap", Isolation{Steps: Bwrap}.String())
	require.Equal(t, "process-group", Isolation{Steps: ProcessGroup}.String())
	require.Equal(t, "process-group+netns", Isolation{Steps: ProcessGroup, NetNS: true}.String())
	require.True(t, Isolation{Steps: Bwrap, NetNS: true}.Full())
	require.False(t, Isolation{Steps: Bwrap}.Full())
	require.False(t, Isolation{Steps: ProcessGroup, NetNS: true}.Full())
}

func TestOff(t *testing.T) {
	for v, want := range map[string]bool{"": false, "on": false, "off": true} {
		got, err := Off(func(string) string { return v })
		require.NoError(t, err)
		require.Equal(t, want, got, v)
	}
	_, err := Off(func(string) string { return "0" })
	require.EqualError(t, err, `DRILL_SANDBOX="0": want on or off`)
}

func TestHidden(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", "/usr/share") // a home outside the temporary directories
	team := filepath.Join(home, "repo", "teams", "ml")
	require.NoError(t, os.MkdirAll(team, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(home, "repo", ".git"), 0o755))
	got := Hidden(team)
	require.Contains(t, got, "/usr/share")
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	require.NoError(t, err)
	hidden := false
	for _, h := range got {
		hidden = hidden || within(tmp, h)
	}
	require.True(t, hidden, "the temporary directory %s holds other steps' files: %v", tmp, got)
	for i, a := range got {
		require.NotEqual(t, "/", a)
		for j, b := range got {
			require.False(t, i != j && within(a, b), "%s is inside %s: listed twice", a, b)
		}
	}
	require.Equal(t, filepath.Join(home, "repo"), repoRoot(team))
	require.Equal(t, "", repoRoot("/"))
}

func TestMinimal(t *testing.T) {
	d := t.TempDir()
	d, err := filepath.EvalSymlinks(d)
	require.NoError(t, err)
	for _, p := range []string{"a/c", "a", "a-b"} {
		require.NoError(t, os.MkdirAll(filepath.Join(d, p), 0o755))
	}
	require.NoError(t, os.Symlink(filepath.Join(d, "a-b"), filepath.Join(d, "link")))
	got := minimal([]string{filepath.Join(d, "a/c"), filepath.Join(d, "a"), filepath.Join(d, "a-b"), filepath.Join(d, "link"), "relative", "", "/", filepath.Join(d, "missing"), "/usr"})
	require.Equal(t, []string{filepath.Join(d, "a"), filepath.Join(d, "a-b")}, got)
}

func TestStepArgs(t *testing.T) {
	base := t.TempDir()
	base, err := filepath.EvalSymlinks(base)
	require.NoError(t, err)
	home := filepath.Join(base, "home")
	bin := filepath.Join(home, "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(base), 0o755)) // public, for a step run as nobody
	require.NoError(t, os.Chmod(base, 0o755))
	require.NoError(t, os.Chmod(home, 0o755))
	s := Step{Dir: filepath.Join(base, "step"), Workdir: filepath.Join(base, "step", "work"), Hide: []string{home, "/tmp"},
		Env: []string{"X=1", "PATH=/usr/bin:" + bin + ":" + home + ":relative"}}
	require.Equal(t, []string{bin}, s.pathDirs(false), "a PATH directory inside a hidden one is given back; the hidden one itself is not")
	args := strings.Join(s.args(), " ")
	for _, want := range []string{
		"--die-with-parent --new-session --unshare-user --unshare-pid",
		"--ro-bind / / --dev /dev --proc /proc --cap-drop ALL",
		"--tmpfs " + home + " --tmpfs /tmp --ro-bind " + bin + " " + bin + " --bind " + s.Dir + " " + s.Dir + " --remount-ro " + home + " --chdir " + s.Workdir,
	} {
		require.Contains(t, args, want)
	}
	require.NotContains(t, args+" ", "--remount-ro /tmp ", "the temporary directories stay writable, and are thrown away")
}

// ipv4 builds an IPv4 packet of proto carrying l4.
func ipv4(src, dst string, proto byte, l4 []byte) []byte {
	b := make([]byte, 20+len(l4))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	b[8], b[9] = 64, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	copy(b[20:], l4)
	return b
}

func ipv6(src, dst string, proto byte, l4 []byte) []byte {
	b := make([]byte, 40+len(l4))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:6], uint16(len(l4)))
	b[6], b[7] = proto, 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	copy(b[40:], l4)
	return b
}

func tcp(sport, dport uint16, flags byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	b[12], b[13] = 5<<4, flags
	return b
}

func TestParseAndRefuse(t *testing.T) {
	syn := ipv4("192.0.0.8", "192.0.2.1", protoTCP, tcp(40000, 80, 0x02))
	p, ok := parse(syn)
	require.True(t, ok)
	require.Equal(t, Attempt{Proto: "tcp", Address: "192.0.2.1:80"}, p.attempt())
	require.Equal(t, uint16(40000), p.sport)
	r := unreachable(syn, p)
	require.Equal(t, byte(0x45), r[0])
	require.Equal(t, uint16(len(r)), binary.BigEndian.Uint16(r[2:4]))
	require.Equal(t, byte(protoICMP), r[9])
	require.Equal(t, "192.0.2.1", netip.AddrFrom4([4]byte(r[12:16])).String(), "from the address tried")
	require.Equal(t, "192.0.0.8", netip.AddrFrom4([4]byte(r[16:20])).String())
	require.Equal(t, uint16(0xffff), ^checksum(sum16(0, r[:20])), "valid IPv4 header checksum")
	require.Equal(t, uint16(0), checksum(sum16(0, r[20:])), "valid ICMP checksum")
	require.Equal(t, []byte{3, 13}, r[20:22], "destination unreachable, administratively prohibited")
	require.Equal(t, syn[:28], r[28:], "quotes the header and 8 bytes")

	syn6 := ipv6("fd64:7269:6c6c::1", "2001:db8::1", protoTCP, tcp(40001, 443, 0x02))
	p, ok = parse(syn6)
	require.True(t, ok)
	require.Equal(t, "[2001:db8::1]:443", p.attempt().Address)
	r = unreachable(syn6, p)
	require.Equal(t, byte(0x60), r[0])
	require.Equal(t, byte(protoICMPv6), r[6])
	require.Equal(t, []byte{1, 3}, r[40:42], "address unreachable, to TCP")
	var pseudo [40]byte
	copy(pseudo[0:16], r[8:24])
	copy(pseudo[16:32], r[24:40])
	binary.BigEndian.PutUint32(pseudo[32:], uint32(len(r)-40))
	pseudo[39] = protoICMPv6
	require.Equal(t, uint16(0), checksum(sum16(sum16(0, pseudo[:]), r[40:])), "valid ICMPv6 checksum")
	require.Equal(t, syn6, r[48:])

	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[2:], 53)
	p, ok = parse(ipv6("fd64:7269:6c6c::1", "2001:db8::53", protoUDP, udp))
	require.True(t, ok)
	require.Equal(t, Attempt{Proto: "udp", Address: "[2001:db8::53]:53"}, p.attempt())
	require.Equal(t, []byte{1, 1}, unreachable(ipv6("fd64:7269:6c6c::1", "2001:db8::53", protoUDP, udp), p)[40:42])

	p, ok = parse(ipv4("192.0.0.8", "10.1.2.3", protoICMP, []byte{8, 0, 0, 0, 0, 0, 0, 0}))
	require.True(t, ok)
	require.Equal(t, Attempt{Proto: "icmp", Address: "10.1.2.3"}, p.attempt())
	p, ok = parse(ipv4("192.0.0.8", "10.1.2.3", 47, []byte{0, 0, 0, 0}))
	require.True(t, ok)
	require.Equal(t, Attempt{Proto: "ip proto 47", Address: "10.1.2.3"}, p.attempt())

	for name, b := range map[string][]byte{
		"an ACK":                ipv4("192.0.0.8", "192.0.2.1", protoTCP, tcp(1, 80, 0x10)),
		"a SYN-ACK":             ipv4("192.0.0.8", "192.0.2.1", protoTCP, tcp(1, 80, 0x12)),
		"an ICMP error":         ipv4("192.0.0.8", "192.0.2.1", protoICMP, []byte{3, 1, 0, 0, 0, 0, 0, 0}),
		"multicast":             ipv4("192.0.0.8", "224.0.0.251", protoUDP, udp),
		"broadcast":             ipv4("192.0.0.8", "255.255.255.255", protoUDP, udp),
		"neighbour discovery":   ipv6("fd64:7269:6c6c::1", "ff02::2", protoICMPv6, []byte{133, 0, 0, 0}),
		"link-local":            ipv6("fe80::1", "fe80::2", protoUDP, udp),
		"an ICMPv6 error":       ipv6("fd64:7269:6c6c::1", "2001:db8::1", protoICMPv6, []byte{1, 0, 0, 0}),
		"an echo reply":         ipv6("fd64:7269:6c6c::1", "2001:db8::1", protoICMPv6, []byte{129, 0, 0, 0}),
		"a short TCP header":    ipv4("192.0.0.8", "192.0.2.1", protoTCP, []byte{0, 1}),
		"a truncated packet":    ipv4("192.0.0.8", "192.0.2.1", protoTCP, tcp(1, 80, 0x02))[:30],
		"not IP":                {0x10, 0, 0},
		"empty":                 {},
		"a later fragment":      func() []byte { b := ipv4("192.0.0.8", "192.0.2.1", protoUDP, udp); b[7] = 1; return b }(),
		"a bad header length":   func() []byte { b := ipv4("192.0.0.8", "192.0.2.1", protoUDP, udp); b[0] = 0x44; return b }(),
		"a short IPv6 packet":   make([]byte, 30),
		"an IPv6 length beyond": func() []byte { b := ipv6("fd64:7269:6c6c::1", "2001:db8::1", protoUDP, udp); b[5] = 200; return b }(),
	} {
		if name == "a short IPv6 packet" {
			b[0] = 0x60
		}
		_, ok := parse(b)
		require.False(t, ok, name)
	}
}

func TestProcAddr(t *testing.T) {
	// as /proc/net/tcp prints them on a little-endian host
	var probe [2]byte
	binary.NativeEndian.PutUint16(probe[:], 1)
	if probe[0] != 1 {
		t.Skip("the expected strings are a little-endian host's")
	}
	require.Equal(t, "0100007F:0050", procAddr(netip.MustParseAddr("127.0.0.1"), 80))
	require.Equal(t, "B80D0120000000000000000001000000:01BB", procAddr(netip.MustParseAddr("2001:db8::1"), 443))
}

func TestRecorder(t *testing.T) {
	r := &recorder{watchers: map[*Watcher]bool{}, descends: func(pid, root int) bool { return pid/100 == root/100 }}
	save := rec
	rec = r
	defer func() { rec = save }()
	at := time.Unix(100, 0)
	w := Watch("step a")
	w.SetPID(100)
	v := Watch("step b")
	v.SetPID(200)
	r.record(Attempt{Proto: "tcp", Address: "192.0.2.1:80", PID: 101, At: at})                   // step a's child
	r.record(Attempt{Proto: "tcp", Address: "192.0.2.1:80", PID: 102, At: at.Add(time.Second)})  // again
	r.record(Attempt{Proto: "udp", Address: "10.0.0.2:53", PID: 0, At: at.Add(2 * time.Second)}) // who? both ran
	r.record(Attempt{Proto: "tcp", Address: "10.9.9.9:443", PID: 999, Comm: "node", At: at.Add(3 * time.Second)})
	got := w.Stop()
	require.Equal(t, []Blocked{
		{Proto: "tcp", Address: "192.0.2.1:80", Count: 2, First: at, By: []string{"step a"}},
		{Proto: "udp", Address: "10.0.0.2:53", Count: 1, First: at.Add(2 * time.Second), By: []string{"while step a ran"}},
	}, got)
	require.Len(t, v.Stop(), 1)
	all, dropped := Recorded()
	require.Zero(t, dropped)
	require.Len(t, all, 3)
	require.Equal(t, "tcp 192.0.2.1:80 ×2 (step a)", all[0].String())
	require.Equal(t, "udp 10.0.0.2:53 (while step a ran; while step b ran)", all[1].String())
	require.Equal(t, "tcp 10.9.9.9:443 (the drill world: node, pid 999)", all[2].String())

	r.record(Attempt{Proto: "tcp", Address: "10.9.9.9:443", At: at.Add(4 * time.Second)})
	all, _ = Recorded()
	require.Equal(t, "tcp 10.9.9.9:443 ×2 (the drill world: node, pid 999; the drill world)", all[2].String())

	for i := 0; i < MaxBlocked+10; i++ {
		r.record(Attempt{Proto: "tcp", Address: fmt.Sprintf("10.0.%d.%d:1", i/256, i%256), At: at})
	}
	all, dropped = Recorded()
	require.Len(t, all, MaxBlocked)
	require.Equal(t, 3+10, dropped, "addresses past the bound are counted, not kept")
}

// Whatever the drill world sends out, drill neither panics nor answers
// with a malformed packet: every refusal is a well-formed ICMP error from
// the address tried, within IPv6's minimum MTU.
func FuzzPacket(f *testing.F) {
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[2:], 53)
	f.Add(ipv4("192.0.0.8", "192.0.2.1", protoTCP, tcp(40000, 80, 0x02)))
	f.Add(ipv4("192.0.0.8", "198.51.100.7", protoUDP, udp))
	f.Add(ipv6("fd64:7269:6c6c::1", "2001:db8::1", protoTCP, tcp(40001, 443, 0x02)))
	f.Add(ipv6("fd64:7269:6c6c::1", "2001:db8::1", protoICMPv6, []byte{128, 0, 0, 0}))
	f.Add([]byte{0x4f, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := parse(b)
		if !ok {
			return
		}
		r := unreachable(b, p)
		if p.dst.Is4() {
			require.GreaterOrEqual(t, len(r), 28)
			require.Equal(t, byte(0x45), r[0])
			require.Equal(t, uint16(len(r)), binary.BigEndian.Uint16(r[2:4]))
			require.Equal(t, uint16(0), checksum(sum16(0, r[:20])))
			require.Equal(t, uint16(0), checksum(sum16(0, r[20:])))
			require.Equal(t, p.dst, netip.AddrFrom4([4]byte(r[12:16])))
			return
		}
		require.LessOrEqual(t, len(r), 1280)
		require.Equal(t, byte(0x60), r[0])
		require.Equal(t, uint16(len(r)-40), binary.BigEndian.Uint16(r[4:6]))
		var pseudo [40]byte
		copy(pseudo[0:32], r[8:40])
		binary.BigEndian.PutUint32(pseudo[32:], uint32(len(r)-40))
		pseudo[39] = protoICMPv6
		require.Equal(t, uint16(0), checksum(sum16(sum16(0, pseudo[:]), r[40:])))
		require.Equal(t, p.dst, netip.AddrFrom16([16]byte(r[8:24])))
	})
}
