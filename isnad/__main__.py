from isnad.cli import main

main()
