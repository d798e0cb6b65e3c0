// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The pin dir (pins.h): paths, the lock, what is pinned. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "pins.h"

#define BPFFS_ROOT "/sys/fs/bpf"

static int on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int fg_pin_dir_prepare(const char *dir, int create, char *err, size_t errlen)
{
	if (!strncmp(dir, BPFFS_ROOT, strlen(BPFFS_ROOT)) && !on_bpffs(BPFFS_ROOT)) {
		if (!create) {
			snprintf(err, errlen, "no bpf filesystem at %s: floodgate is not attached",
				 BPFFS_ROOT);
			return -ENOENT;
		}
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			snprintf(err, errlen, "Failed to mount bpffs at %s: %s", BPFFS_ROOT,
				 strerror(errno));
			return -errno;
		}
	}
	if (create && mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "Failed to create pin dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (access(dir, F_OK)) {
		snprintf(err, errlen,
			 "floodgate is not attached (no pin dir %s): run 'floodgate attach IFACE'",
			 dir);
		return -ENOENT;
	}
	if (!on_bpffs(dir)) {
		snprintf(err, errlen, "pin dir %s is not on a bpf filesystem", dir);
		return -EINVAL;
	}
	return 0;
}

int fg_pin_dir_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void fg_pin_dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int fg_pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int fg_pin_exists(const char *dir, const char *name)
{
	char path[4096];

	return !fg_pin_path(path, sizeof(path), dir, name) && access(path, F_OK) == 0;
}

int fg_pin_count_links(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "link_", 5))
			n++;
	closedir(d);
	return n;
}

int fg_mkdir_p(const char *dir)
{
	char buf[512];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}
