// How a Java scenario marks its transfer phase. The JVM cannot fire the USDT
// markers itself, so the C++ parent (copyscope-scenario) does it for this
// process: the Java side sets up, says "copyscope:ready" on stderr, waits for a
// byte on stdin, transfers, then says "copyscope:done BYTES CALLS". JVM startup
// and class loading stay outside the phase.
import java.io.EOFException;
import java.io.IOException;

final class Phase {
  private Phase() {}

  static void ready() throws IOException {
    System.err.println("copyscope:ready");
    System.err.flush();
    if (System.in.read() < 0) throw new EOFException("copyscope-scenario never said start");
  }

  static void done(long bytes, long calls) {
    System.err.println("copyscope:done " + bytes + " " + calls);
    System.err.flush();
  }
}
