// FileChannel.transferTo: the JVM hands the copy to the kernel (sendfile on
// Linux). Arguments: FILE SIZE; the sink is this process's stdout.
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

public final class TransferTo {
  public static void main(String[] args) throws Exception {
    long size = Long.parseLong(args[1]);
    try (FileChannel src = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ);
         FileOutputStream stdout = new FileOutputStream(FileDescriptor.out);
         FileChannel dst = stdout.getChannel()) {
      src.transferTo(0, 0, dst);  // loads the classes of the transfer path now
      Phase.ready();
      long pos = 0, calls = 0;
      while (pos < size) {
        long n = src.transferTo(pos, size - pos, dst);
        ++calls;
        if (n <= 0) break;
        pos += n;
      }
      Phase.done(pos, calls);
    }
  }
}
