# Three ways to run Python in a VM, from the simplest to the most pip-compatible.
{ pkgs, ... }:
let
  # The FHS environment: a normal-looking Linux (/usr/lib, a C compiler, the libraries AppImages
  # expect) where pip's wheels work, with `init-python-venv`. The project's
  # compat-envs/python-fhs.nix, where no-headache projects have it (`nohead init` writes it).
  pythonFhs = import ../../compat-envs/python-fhs.nix { inherit pkgs; };
in
{
  # 1. Plain Python from nixpkgs: the standard library only.
  python-plain = {
    copyToHome."hello.py" = ./hello.py;
    init.script = ''
      python3 ~/hello.py > ~/hello-output.txt 2>&1
    '';
    nixos-config = {
      environment.systemPackages = [ pkgs.python3 ];
    };
  };

  # 2. Python packages from nixpkgs: fastest to build and boot (nothing is downloaded at run
  #    time), but only for packages nixpkgs has (search.nixos.org, names may differ from pip's).
  python-nix = {
    copyToHome."stats.py" = ./stats.py;
    init.script = ''
      python3 ~/stats.py > ~/stats-output.txt 2>&1
    '';
    nixos-config = {
      environment.systemPackages = [
        (pkgs.python3.withPackages (ps: [ ps.numpy ]))
      ];
    };
  };

  # 3. pip and requirements.txt in an FHS environment, with the venv in a shared host directory
  #    so that `pip install` runs once, not after every rebuild or `nohead destroy`.
  python-fhs = {
    copyToHome = {
      "stats.py" = ./stats.py;
      "requirements.txt" = ./requirements.txt;
    };
    init.script = ''
      # First boot: minutes (pip downloads); later boots reuse /mnt/shared/venv.
      python-fhs -c 'cd /mnt/shared && init-python-venv -r ~/requirements.txt' > ~/venv-setup.txt 2>&1
      python-fhs -c 'source /mnt/shared/venv/bin/activate && python ~/stats.py' > ~/stats-output.txt 2>&1
    '';
    nixos-config = {
      environment.systemPackages = [ pythonFhs ];
    };
    nixos-config-virt = {
      virtualisation.sharedDirectories.venv = {
        # mkdir -p /tmp/nohead-shared/python-venv before the first run.
        source = "/tmp/nohead-shared/python-venv";
        target = "/mnt/shared";
      };
    };
  };
}
