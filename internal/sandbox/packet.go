package sandbox

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// IP protocol numbers drill tells apart.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// packet is what drill reads of one IP packet leaving the drill world.
type packet struct {
	proto    uint8
	src, dst netip.Addr
	sport    uint16
	dport    uint16
	hasPorts bool
}

// attempt describes p for the scorecard.
func (p packet) attempt() Attempt {
	proto := "ip proto " + strconv.Itoa(int(p.proto))
	switch p.proto {
	case protoTCP:
		proto = "tcp"
	case protoUDP:
		proto = "udp"
	case protoICMP, protoICMPv6:
		proto = "icmp"
	}
	addr := p.dst.String()
	if p.hasPorts {
		addr = netip.AddrPortFrom(p.dst, p.dport).String()
	}
	return Attempt{Proto: proto, Address: addr}
}

// parse reads an IPv4 or IPv6 packet. It reports false for what is not an
// attempt to reach a host: malformed packets, multicast and link-local
// traffic (neighbour discovery, MLD), ICMP errors, TCP segments other than
// a connection's first SYN, and fragments after the first.
func parse(b []byte) (packet, bool) {
	if len(b) < 1 {
		return packet{}, false
	}
	var p packet
	var l4 []byte
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return packet{}, false
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:4]))
		if ihl < 20 || total < ihl || total > len(b) {
			return packet{}, false
		}
		if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
			return packet{}, false // a later fragment
		}
		p.proto = b[9]
		p.src = netip.AddrFrom4([4]byte(b[12:16]))
		p.dst = netip.AddrFrom4([4]byte(b[16:20]))
		if p.dst.IsMulticast() || p.dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return packet{}, false
		}
		l4 = b[ihl:total]
	case 6:
		if len(b) < 40 {
			return packet{}, false
		}
		plen := int(binary.BigEndian.Uint16(b[4:6]))
		if 40+plen > len(b) {
			return packet{}, false
		}
		p.proto = b[6]
		p.src = netip.AddrFrom16([16]byte(b[8:24]))
		p.dst = netip.AddrFrom16([16]byte(b[24:40]))
		if p.dst.IsMulticast() || p.dst.IsLinkLocalUnicast() || p.src.IsUnspecified() {
			return packet{}, false
		}
		l4 = b[40 : 40+plen]
	default:
		return packet{}, false
	}
	switch p.proto {
	case protoTCP:
		if len(l4) < 20 {
			return packet{}, false
		}
		const syn, ack = 0x02, 0x10
		if fl := l4[13]; fl&syn == 0 || fl&ack != 0 {
			return packet{}, false
		}
		p.sport, p.dport, p.hasPorts = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4]), true
	case protoUDP:
		if len(l4) < 8 {
			return packet{}, false
		}
		p.sport, p.dport, p.hasPorts = binary.BigEndian.Uint16(l4[0:2]), binary.BigEndian.Uint16(l4[2:4]), true
	case protoICMP:
		if len(l4) < 1 || !(l4[0] == 8 || l4[0] == 13 || l4[0] == 15 || l4[0] == 17) {
			return packet{}, false // only requests (echo, timestamp, info, mask): never answer an error
		}
	case protoICMPv6:
		if len(l4) < 1 || l4[0] < 128 || l4[0] > 129 {
			return packet{}, false // only echo; errors and neighbour discovery are not attempts
		}
		if l4[0] == 129 {
			return packet{}, false
		}
	}
	return p, true
}

// unreachable builds the ICMP error that refuses orig (parsed as p), as
// if from its destination: for IPv4, "communication administratively
// prohibited" (connect fails with EHOSTUNREACH, "No route to host", for
// TCP and UDP alike); for IPv6, "address unreachable" to TCP (the
// same error) and "administratively prohibited" to anything else (EACCES,
// which a connected UDP socket is told of).
func unreachable(orig []byte, p packet) []byte {
	if p.dst.Is4() {
		ihl := int(orig[0]&0x0f) * 4
		quote := orig[:min(len(orig), ihl+8)]
		msg := make([]byte, 8+len(quote))
		msg[0], msg[1] = 3, 13
		copy(msg[8:], quote)
		binary.BigEndian.PutUint16(msg[2:4], checksum(sum16(0, msg)))
		pkt := make([]byte, 20+len(msg))
		pkt[0] = 0x45
		binary.BigEndian.PutUint16(pkt[2:4], uint16(len(pkt)))
		pkt[8], pkt[9] = 64, protoICMP
		d, s := p.dst.As4(), p.src.As4()
		copy(pkt[12:16], d[:])
		copy(pkt[16:20], s[:])
		binary.BigEndian.PutUint16(pkt[10:12], checksum(sum16(0, pkt[:20])))
		copy(pkt[20:], msg)
		return pkt
	}
	quote := orig[:min(len(orig), 1280-48)] // the whole reply within IPv6's minimum MTU
	msg := make([]byte, 8+len(quote))
	msg[0], msg[1] = 1, 1
	if p.proto == protoTCP {
		msg[1] = 3
	}
	copy(msg[8:], quote)
	d, s := p.dst.As16(), p.src.As16()
	var pseudo [40]byte
	copy(pseudo[0:16], d[:])
	copy(pseudo[16:32], s[:])
	binary.BigEndian.PutUint32(pseudo[32:36], uint32(len(msg)))
	pseudo[39] = protoICMPv6
	binary.BigEndian.PutUint16(msg[2:4], checksum(sum16(sum16(0, pseudo[:]), msg)))
	pkt := make([]byte, 40+len(msg))
	pkt[0] = 0x60
	binary.BigEndian.PutUint16(pkt[4:6], uint16(len(msg)))
	pkt[6], pkt[7] = protoICMPv6, 64
	copy(pkt[8:24], d[:])
	copy(pkt[24:40], s[:])
	copy(pkt[40:], msg)
	return pkt
}

// sum16 adds b to acc as 16-bit big-endian words (RFC 1071).
func sum16(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

// checksum folds a sum into the Internet checksum.
func checksum(acc uint32) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}
