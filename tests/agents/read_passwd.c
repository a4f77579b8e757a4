/* read_passwd: proves an agent with no filesystem grant cannot read host files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Prints "<path>: READ <first line of buf>"; returns 1. */
static int report_read(const char* path, char* buf) {
  buf[strcspn(buf, "\n")] = '\0';
  printf("%s: READ %s\n", path, buf);
  return 1;
}

static int report_denied(const char* path) {
  printf("%s: denied (%s)\n", path, strerror(errno));
  return 0;
}

int main(void) {
  char buf[256];
  int leaked = 0;

  const char* p1 = "/etc/passwd";
  FILE* f = fopen(p1, "r");
  if (!f) {
    leaked |= report_denied(p1);
  } else {
    if (!fgets(buf, sizeof buf, f)) buf[0] = '\0';
    fclose(f);
    leaked |= report_read(p1, buf);
  }

  const char* p2 = "../../etc/passwd";
  int fd = open(p2, O_RDONLY);
  if (fd < 0) {
    leaked |= report_denied(p2);
  } else {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    leaked |= report_read(p2, buf);
  }

  return leaked ? 1 : 0;
}
