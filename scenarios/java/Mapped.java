// FileChannel.map: a MappedByteBuffer over the page cache (mmap), written to the
// sink chunk by chunk straight from the mapping. Arguments: FILE SIZE BUFFER;
// the sink is this process's stdout.
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

public final class Mapped {
  public static void main(String[] args) throws Exception {
    long size = Long.parseLong(args[1]);
    int buffer = (int) Math.min(Integer.MAX_VALUE, Long.parseLong(args[2]));
    if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("one MappedByteBuffer holds at most 2 GiB");
    try (FileChannel src = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ);
         FileOutputStream stdout = new FileOutputStream(FileDescriptor.out);
         FileChannel dst = stdout.getChannel()) {
      src.map(FileChannel.MapMode.READ_ONLY, 0, 1);  // loads the mapping classes; never touched
      Phase.ready();
      MappedByteBuffer map = src.map(FileChannel.MapMode.READ_ONLY, 0, size);
      long calls = 0;
      int pos = 0;
      while (pos < size) {
        int end = (int) Math.min(size, (long) pos + buffer);
        map.limit(end);
        while (map.position() < end) {
          dst.write(map);  // a direct buffer: write(2) straight from the mapping
          ++calls;
        }
        pos = end;
      }
      Phase.done(pos, calls);
    }
  }
}
