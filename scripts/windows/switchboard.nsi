; Switchboard's Windows installer, built by scripts/dist-windows.sh with Debian's makensis.
;
; Written by hand because Tauri's own NSIS bundler downloads a plugin (nsis_tauri_utils.dll)
; from GitHub, which the build machines cannot reach and no package registry ships; this
; script uses only what NSIS itself comes with.
;
; A per-user install (no administrator needed, like the data folder it writes to):
; %LOCALAPPDATA%\Programs\Switchboard, a Start-menu shortcut, and an entry in "Installed
; apps". Uninstalling removes the program, the shortcut and the start-at-login entry the
; app may have made; the owner's data (%LOCALAPPDATA%\switchboard: messages, recordings)
; is kept, and the uninstaller says where.
;
; makensis -DVERSION=0.1.0 -DAPPDIR=<folder with switchboard.exe and WebView2Loader.dll>
;          -DICON=<icon.ico> -DOUTFILE=<setup.exe> switchboard.nsi

Unicode true
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "VERSION is not defined (-DVERSION=...)"
!endif
!ifndef APPDIR
  !error "APPDIR is not defined (-DAPPDIR=...)"
!endif
!ifndef ICON
  !error "ICON is not defined (-DICON=...)"
!endif
!ifndef OUTFILE
  !error "OUTFILE is not defined (-DOUTFILE=...)"
!endif

!define PRODUCT "Switchboard"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
; The value tauri-plugin-autostart (auto-launch) writes when the owner turns on "Start
; Switchboard when I log in".
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
; Microsoft Edge WebView2 Runtime's client id: installed with Windows 11 and current
; Windows 10; without it the window cannot open.
!define WEBVIEW2_ID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

!include "MUI2.nsh"
!include "LogicLib.nsh"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
RequestExecutionLevel user
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "FileDescription" "${PRODUCT} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MIT licence"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\switchboard.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Open Switchboard"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_ID}" "pv"
  ${If} $0 == ""
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_ID}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    MessageBox MB_OK|MB_ICONINFORMATION "Switchboard shows its window with Microsoft Edge WebView2, which this computer does not seem to have.$\r$\n$\r$\nInstall the WebView2 Runtime from https://go.microsoft.com/fwlink/p/?LinkId=2124703 before opening Switchboard. The installation continues."
  ${EndIf}
FunctionEnd

Section "Switchboard"
  SetOutPath "$INSTDIR"
  ; A running Switchboard holds its .exe open: ask the owner to quit it from the tray first.
  retry:
  ClearErrors
  File "${APPDIR}\switchboard.exe"
  ${If} ${Errors}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "Switchboard is running. Quit it from its tray icon, then choose Retry." IDRETRY retry
    Abort
  ${EndIf}
  File "${APPDIR}\WebView2Loader.dll"
  File "/oname=switchboard.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\switchboard.exe" "" "$INSTDIR\switchboard.ico"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\switchboard.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\switchboard.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\switchboard.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegValue HKCU "${RUN_KEY}" "${PRODUCT}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  MessageBox MB_OK|MB_ICONINFORMATION "Switchboard is removed. Your messages, calls and recordings are kept in $LOCALAPPDATA\switchboard; delete that folder to remove them too."
SectionEnd
