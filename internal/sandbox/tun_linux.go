package sandbox

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The device's addresses: IPv4's dummy address (RFC 7600, for a host with
// no other) and a unique local IPv6 address. Each default route leads to
// the device.
var (
	tunAddr4 = netip.MustParseAddr("192.0.0.8")
	tunAddr6 = netip.MustParseAddr("fd64:7269:6c6c::1")
)

// startTun creates the device, gives it its addresses and the default
// routes, and reads it until the process ends.
func startTun() error {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("attempts to leave are not recorded: /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(tunName)
	if err != nil {
		unix.Close(fd)
		return err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return fmt.Errorf("attempts to leave are not recorded: creating %s: %w", tunName, err)
	}
	fail := func(what string, err error) error {
		unix.Close(fd)
		return fmt.Errorf("attempts to leave are not recorded: %s: %w", what, err)
	}
	if err := linkUp(tunName); err != nil {
		return fail("bringing "+tunName+" up", err)
	}
	idx, err := ifIndex(tunName)
	if err != nil {
		return fail(tunName, err)
	}
	if err := addAddr(idx, tunAddr4); err != nil {
		return fail("addressing "+tunName, err)
	}
	if err := addDefaultRoute(idx, false); err != nil {
		return fail("routing IPv4 to "+tunName, err)
	}
	// IPv6 may be off in this kernel: then IPv6 attempts fail unseen.
	if addAddr(idx, tunAddr6) == nil {
		_ = addDefaultRoute(idx, true)
	}
	f := os.NewFile(uintptr(fd), "/dev/net/tun")
	go readTun(f)
	return nil
}

// readTun records and refuses every packet the world sends out.
func readTun(f *os.File) {
	buf := make([]byte, 65536)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // a transient error: go on
			continue
		}
		pkt := buf[:n]
		p, ok := parse(pkt)
		if !ok {
			continue
		}
		a := p.attempt()
		a.At = time.Now()
		if p.hasPorts {
			a.PID = socketOwner(p)
			if a.PID != 0 {
				a.Comm = comm(a.PID)
			}
		}
		// Recorded before the refusal: the step's connect fails only
		// after its attempt is on file.
		rec.record(a)
		_, _ = f.Write(unreachable(pkt, p))
	}
}

func linkUp(name string) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr)
}

func ifIndex(name string) (int, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

// addAddr gives the device a host address (/32 or /128, no duplicate
// address detection).
func addAddr(idx int, a netip.Addr) error {
	fam, bits := unix.AF_INET, 32
	if a.Is6() {
		fam, bits = unix.AF_INET6, 128
	}
	msg := unix.IfAddrmsg{Family: uint8(fam), Prefixlen: uint8(bits), Flags: unix.IFA_F_NODAD, Scope: unix.RT_SCOPE_UNIVERSE, Index: uint32(idx)}
	body := (*[unix.SizeofIfAddrmsg]byte)(unsafe.Pointer(&msg))[:]
	raw := a.AsSlice()
	attrs := attr(unix.IFA_LOCAL, raw)
	attrs = append(attrs, attr(unix.IFA_ADDRESS, raw)...)
	return netlink(unix.RTM_NEWADDR, append(append([]byte(nil), body...), attrs...))
}

// addDefaultRoute routes every address of a family to the device.
func addDefaultRoute(idx int, v6 bool) error {
	fam, scope := unix.AF_INET, unix.RT_SCOPE_LINK
	if v6 {
		fam, scope = unix.AF_INET6, unix.RT_SCOPE_UNIVERSE
	}
	msg := unix.RtMsg{Family: uint8(fam), Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_BOOT, Scope: uint8(scope), Type: unix.RTN_UNICAST}
	body := (*[unix.SizeofRtMsg]byte)(unsafe.Pointer(&msg))[:]
	oif := make([]byte, 4)
	binary.NativeEndian.PutUint32(oif, uint32(idx))
	return netlink(unix.RTM_NEWROUTE, append(append([]byte(nil), body...), attr(unix.RTA_OIF, oif)...))
}

// attr encodes one netlink route attribute, padded to 4 bytes.
func attr(typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b := make([]byte, (l+3)&^3)
	binary.NativeEndian.PutUint16(b[0:2], uint16(l))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[4:], data)
	return b
}

// netlink sends one request to the kernel's routing socket and waits for
// its acknowledgement.
func netlink(typ uint16, body []byte) error {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	if err := unix.Bind(s, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	msg := make([]byte, unix.SizeofNlMsghdr+len(body))
	h := unix.NlMsghdr{Len: uint32(len(msg)), Type: typ, Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK | unix.NLM_F_CREATE | unix.NLM_F_EXCL, Seq: 1}
	copy(msg, (*[unix.SizeofNlMsghdr]byte)(unsafe.Pointer(&h))[:])
	copy(msg[unix.SizeofNlMsghdr:], body)
	if err := unix.Sendto(s, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(s, buf, 0)
	if err != nil {
		return err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
			if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
				return unix.Errno(-code)
			}
			return nil
		}
	}
	return errors.New("no acknowledgement from netlink")
}

// socketOwner finds the process holding the socket p came from: the
// socket's inode from /proc/net, then the process whose descriptor names
// it. 0 when not found.
func socketOwner(p packet) int {
	file := "/proc/net/tcp"
	if p.proto == protoUDP {
		file = "/proc/net/udp"
	}
	if p.src.Is6() {
		file += "6"
	}
	inode := socketInode(file, p)
	if inode == "" {
		return 0
	}
	target := "socket:[" + inode + "]"
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", e.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc", e.Name(), "fd", fd.Name())); err == nil && l == target {
				return pid
			}
		}
	}
	return 0
}

// socketInode reads a /proc/net table for the socket with p's local and
// remote address and port.
func socketInode(file string, p packet) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	local := procAddr(p.src, p.sport)
	remote := procAddr(p.dst, p.dport)
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan() && n < 100000; n++ {
		fl := strings.Fields(sc.Text())
		if len(fl) < 10 || fl[1] != local {
			continue
		}
		// an unconnected UDP socket shows no remote address
		if fl[2] == remote || (p.proto == protoUDP && strings.Trim(fl[2], "0:") == "") {
			return fl[9]
		}
	}
	return ""
}

// procAddr writes an address and port as /proc/net/tcp does: each 32-bit
// word of the address as the host reads it from memory, in hex, then the
// port.
func procAddr(a netip.Addr, port uint16) string {
	raw := a.AsSlice()
	var b strings.Builder
	for i := 0; i < len(raw); i += 4 {
		fmt.Fprintf(&b, "%08X", binary.NativeEndian.Uint32(raw[i:i+4]))
	}
	return fmt.Sprintf("%s:%04X", b.String(), port)
}

func comm(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// descendsFrom reports whether pid is root or a descendant of it, by the
// parent IDs in /proc (at most 64 generations).
func descendsFrom(pid, root int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		if pid == root {
			return true
		}
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return false
		}
		s := string(b)
		j := strings.LastIndexByte(s, ')')
		if j < 0 {
			return false
		}
		f := strings.Fields(s[j+1:])
		if len(f) < 2 {
			return false
		}
		if pid, err = strconv.Atoi(f[1]); err != nil {
			return false
		}
	}
	return pid == root
}
