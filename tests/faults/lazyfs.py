"""A filesystem that forgets what was not fsynced, for power-loss tests
(the approach of Jepsen's LazyFS, in FUSE through Debian's python3-fusepy).

  lazyfs.py LIVE DURABLE MOUNTPOINT

Every operation happens in LIVE, which is what processes see through the
mount. DURABLE is what a disk would still hold after a power cut: names
(create, mkdir, rename, unlink, links) reach it at once, as a journaling
file system's metadata would, but a file's bytes only when the file is
fsynced or fdatasynced (the ranges written since, and its size). A power
cut is then: kill every process using the mount, kill this one, unmount,
replace LIVE by a copy of DURABLE (restore()), mount again."""

import errno
import os
import shutil
import stat
import sys
import threading

sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-fusepy
from fusepy import FUSE, FuseOSError, Operations  # noqa: E402


class Lazy(Operations):
    def __init__(self, live, durable):
        self.live = live
        self.durable = durable
        self.mutex = threading.Lock()
        self.dirty = {}  # path -> [(offset, length)] written since its last fsync

    def _l(self, path):
        return os.path.join(self.live, path.lstrip("/"))

    def _d(self, path):
        return os.path.join(self.durable, path.lstrip("/"))

    def _both(self, fn, path, *args):
        try:
            fn(self._l(path), *args)
        except OSError as e:
            raise FuseOSError(e.errno)
        try:
            fn(self._d(path), *args)
        except OSError:
            pass

    # names: live and durable at once
    def mkdir(self, path, mode):
        self._both(os.mkdir, path, mode)

    def rmdir(self, path):
        self._both(os.rmdir, path)

    def unlink(self, path):
        with self.mutex:
            self.dirty.pop(path, None)
        self._both(os.unlink, path)

    def rename(self, old, new):
        with self.mutex:
            if old in self.dirty:
                self.dirty[new] = self.dirty.pop(old)
            else:
                self.dirty.pop(new, None)
        try:
            os.rename(self._l(old), self._l(new))
        except OSError as e:
            raise FuseOSError(e.errno)
        try:
            os.rename(self._d(old), self._d(new))
        except OSError:
            pass

    def mknod(self, path, mode, dev):
        self._both(os.mknod, path, mode, dev)

    def chmod(self, path, mode):
        self._both(os.chmod, path, mode)

    def chown(self, path, uid, gid):
        self._both(os.chown, path, uid, gid)

    def symlink(self, target, source):
        try:
            os.symlink(source, self._l(target))
        except OSError as e:
            raise FuseOSError(e.errno)
        try:
            os.symlink(source, self._d(target))
        except OSError:
            pass

    def link(self, target, source):
        try:
            os.link(self._l(source), self._l(target))
        except OSError as e:
            raise FuseOSError(e.errno)

    def readlink(self, path):
        return os.readlink(self._l(path))

    def utimens(self, path, times=None):
        os.utime(self._l(path), times)

    def access(self, path, mode):
        if not os.access(self._l(path), mode):
            raise FuseOSError(errno.EACCES)

    def getattr(self, path, fh=None):
        try:
            st = os.lstat(self._l(path))
        except OSError as e:
            raise FuseOSError(e.errno)
        return {k: getattr(st, k) for k in ("st_atime", "st_ctime", "st_gid", "st_mode",
                                            "st_mtime", "st_nlink", "st_size", "st_uid")}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._l(path))

    def statfs(self, path):
        st = os.statvfs(self._l(path))
        return {k: getattr(st, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize",
                                            "f_favail", "f_ffree", "f_files", "f_flag",
                                            "f_frsize", "f_namemax")}

    # bytes: live now, durable at fsync
    def create(self, path, mode, fi=None):
        try:
            fd = os.open(self._l(path), os.O_RDWR | os.O_CREAT | os.O_TRUNC, mode)
        except OSError as e:
            raise FuseOSError(e.errno)
        try:
            os.close(os.open(self._d(path), os.O_WRONLY | os.O_CREAT, mode))
        except OSError:
            pass
        with self.mutex:
            self.dirty[path] = [(0, 0)]  # the size (0) is not durable either
        return fd

    def open(self, path, flags):
        try:
            # read-write whatever was asked: fsync reads back what it copies
            fd = os.open(self._l(path), (flags & ~(os.O_CREAT | os.O_ACCMODE)) | os.O_RDWR)
        except OSError as e:
            raise FuseOSError(e.errno)
        if flags & os.O_TRUNC:
            with self.mutex:
                self.dirty.setdefault(path, []).append((0, 0))
        return fd

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        n = os.pwrite(fh, data, offset)
        with self.mutex:
            self.dirty.setdefault(path, []).append((offset, n))
        return n

    def truncate(self, path, length, fh=None):
        if fh is not None:
            os.ftruncate(fh, length)
        else:
            os.truncate(self._l(path), length)
        with self.mutex:
            self.dirty.setdefault(path, []).append((0, 0))

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        os.close(fh)
        return 0

    def fsync(self, path, datasync, fh):
        with self.mutex:
            ranges = self.dirty.pop(path, [])
        if not ranges:
            return 0
        size = os.fstat(fh).st_size
        try:
            dfd = os.open(self._d(path), os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError:
            return 0  # its name never reached the disk
        try:
            os.ftruncate(dfd, size)
            for off, n in ranges:
                if n and off < size:
                    os.pwrite(dfd, os.pread(fh, min(n, size - off), off), off)
        finally:
            os.close(dfd)
        return 0

    def fsyncdir(self, path, datasync, fh):
        return 0


def restore(live, durable):
    """After a cut: what processes will see is what the disk kept."""
    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(durable, live, symlinks=True)


if __name__ == "__main__":
    live, durable, mnt = sys.argv[1:4]
    FUSE(Lazy(live, durable), mnt, foreground=True, nothreads=False, default_permissions=True,
         allow_other=True)
