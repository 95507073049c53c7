WScript.Echo("watchpost fixture");
