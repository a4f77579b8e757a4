/* read_env: proves an agent sees only the environment variables it was granted. */
#include <stdio.h>
#include <stdlib.h>

extern char** environ;

int main(void) {
  int count = 0;
  while (environ && environ[count]) count++;
  printf("environ: %d\n", count);
  for (int i = 0; i < count; i++) printf("%s\n", environ[i]);
  const char* secret = getenv("SECRET");
  printf("SECRET=%s\n", secret ? secret : "(unset)");
  return 0;
}
