# copyToHome: files and directories from the host appear in the user's home directory, as
# read-only links into the Nix store (placed again at every boot, before init.script runs).
{ ... }:
{
  copy-to-home = {
    copyToHome = {
      # A file, under its own name: ~/file.txt
      "file.txt" = ./file.txt;
      # A directory, recursively: ~/dir/subdir/note.txt
      "dir" = ./dir;
      # A file under another name, in folders that are created: ~/configs/renamed/my-file.txt
      "configs/renamed/my-file.txt" = ./file2.txt;
      # A directory under another name: ~/dir2-renamed/…
      "dir2-renamed" = ./dir2;
    };
    init.script = ''
      # The links are read-only: copy what you want to change.
      cp ~/file.txt ~/modifiable-file.txt
      echo "changed in the VM" >> ~/modifiable-file.txt
    '';
  };
}
