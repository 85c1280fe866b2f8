package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
)

// RunInNetNS runs c in a new user and network namespace and returns its
// exit code (128+N when signal N ended it). drill there is root of its
// own user namespace only (the host's root keeps every user ID mapped;
// anyone else is mapped to itself), and its network holds loopback and
// drill's recording device only. SIGINT and SIGTERM to this process are
// passed on, the end of ctx is passed on as SIGTERM, and the child gets
// SIGKILL if this process dies. A *Refused error says the kernel refused
// the namespaces and nothing ran.
func RunInNetNS(ctx context.Context, c Child) (int, error) {
	attempts := []*syscall.SysProcAttr{userNetNS()}
	if os.Getuid() == 0 {
		// root where user namespaces are off: a network namespace alone
		attempts = append(attempts, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL})
	}
	var errs []error
	for _, attr := range attempts {
		code, err := runChild(ctx, c, attr)
		var ref *Refused
		if errors.As(err, &ref) {
			errs = append(errs, ref.Err)
			continue
		}
		return code, err
	}
	return -1, &Refused{Err: errors.Join(errs...)}
}

func userNetNS() *syscall.SysProcAttr {
	uid, gid := os.Getuid(), os.Getgid()
	a := &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET,
		Pdeathsig:  syscall.SIGKILL,
	}
	if uid == 0 {
		all := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
		a.UidMappings, a.GidMappings, a.GidMappingsEnableSetgroups = all, all, true
	} else {
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	}
	return a
}

func runChild(ctx context.Context, c Child, attr *syscall.SysProcAttr) (int, error) {
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = append(append([]string(nil), c.Env...), envNetNS+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.SysProcAttr = attr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	started, done := make(chan error, 1), make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that started the
		// child ends: this one stays for the child's whole life.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) && (errno == syscall.EPERM || errno == syscall.EINVAL || errno == syscall.ENOSPC || errno == syscall.EACCES || errno == syscall.EUSERS) {
			return -1, &Refused{Err: err}
		}
		return -1, fmt.Errorf("sandbox: starting %s in a network namespace: %w", c.Path, err)
	}
	ctxDone := ctx.Done()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case <-ctxDone:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			ctxDone = nil
		case err := <-done:
			if cmd.ProcessState == nil {
				return -1, err
			}
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal()), nil
			}
			return cmd.ProcessState.ExitCode(), nil
		}
	}
}

var (
	enterOnce sync.Once
	entered   NetNS
	enterErr  error
)

// EnterNetNS sets up the network namespace RunInNetNS made, once: it brings
// loopback up, checks that nothing else is there, and starts the device
// that records and refuses every attempt to leave. It fails when this
// process was not started by RunInNetNS or its network is not private.
func EnterNetNS() (NetNS, error) {
	enterOnce.Do(func() { entered, enterErr = enter() })
	return entered, enterErr
}

func enter() (NetNS, error) {
	if !Marked() {
		return NetNS{}, errors.New("sandbox: not started in a private network namespace")
	}
	// Nothing is touched before the namespace is known to be private: a
	// process that only says it is must not get a default route on the
	// host.
	if err := onlyInterfaces("lo"); err != nil {
		return NetNS{}, err
	}
	if err := linkUp("lo"); err != nil {
		return NetNS{}, fmt.Errorf("sandbox: bringing loopback up in the drill world's network namespace: %w", err)
	}
	ns := NetNS{Recording: true}
	if err := startTun(); err != nil {
		ns = NetNS{Why: err.Error()}
	}
	if err := onlyInterfaces("lo", tunName); err != nil {
		return NetNS{}, err
	}
	inNetNS.Store(true)
	return ns, nil
}

// onlyInterfaces fails unless every network interface here is one of
// names.
func onlyInterfaces(names ...string) error {
	ifs, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("sandbox: listing the network interfaces: %w", err)
	}
next:
	for _, i := range ifs {
		for _, n := range names {
			if i.Name == n {
				continue next
			}
		}
		return fmt.Errorf("sandbox: %s=1 but interface %s is here: this is not a private network namespace", envNetNS, i.Name)
	}
	return nil
}
