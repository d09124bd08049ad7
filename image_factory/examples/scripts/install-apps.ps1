# Installs the reference image's applications on the image builder (run by the builder agent).
$ErrorActionPreference = "Stop"
Start-Process -FilePath "C:\Installers\NotepadPlusPlus.exe" -ArgumentList "/S" -Wait
Start-Process -FilePath "msiexec.exe" -ArgumentList "/i C:\Installers\7zip.msi /qn" -Wait
