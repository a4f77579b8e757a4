/* path_traversal: proves a read-only /inputs grant can be read but not escaped (.., symlinks) or written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Prints "<path>: READ <first line>" or "<path>: denied (<error>)"; returns 1 if read. */
static int try_read(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: denied (%s)\n", path, strerror(errno));
    return 0;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) {
    printf("%s: denied (%s)\n", path, strerror(errno));
    return 0;
  }
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  printf("%s: READ %s\n", path, buf);
  return 1;
}

int main(void) {
  static const char* escapes[] = {
      "/inputs/../secret.txt",
      "/inputs/../../etc/passwd",
      "/inputs/sub/../../secret.txt",
      "/inputs/link/secret.txt",
  };
  int escaped = 0;

  try_read("/inputs/ok.txt");
  for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) escaped |= try_read(escapes[i]);

  const char* w = "/inputs/new.txt";
  int fd = open(w, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("write %s: denied (%s)\n", w, strerror(errno));
  } else if (write(fd, "x", 1) != 1) {
    printf("write %s: denied (%s)\n", w, strerror(errno));
    close(fd);
  } else {
    printf("write %s: WROTE\n", w);
    close(fd);
  }
  return escaped ? 1 : 0;
}
