# The customArgs this example's configs.nix reads (flake.nix passes them to buildConfig).
{
  greeting = "Hello from the flake's customArgs";
}
